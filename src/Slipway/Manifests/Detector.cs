using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace Slipway.Manifests;

/// <summary>Works out how to install, build and start an app from the files in a directory, for apps without
/// a slipway.json and for declared services that leave commands out. Looks only at the top level of the
/// directory, in this order:
/// <code>
///   *.csproj (exactly one)  -> web: dotnet publish, dotnet &lt;assembly&gt;.dll
///   package.json            -> web: npm start / node &lt;main&gt;; or static: vite (dist), react-scripts (build)
///   index.html              -> static site served as is
/// </code>
/// A .NET project wins over package.json because ASP.NET projects often carry a package.json for front-end
/// tooling that their own build runs.</summary>
internal static partial class Detector
{
    /// <summary>Where detected .NET builds publish to, relative to the service root.</summary>
    public const string PublishDirectory = ".slipway-out";

    /// <summary>What detection understands, for error messages.</summary>
    public const string LookedFor = "package.json (Node.js), a *.csproj (.NET) or index.html (static site)";

    /// <summary>On failure, <paramref name="error"/> says what was found and why it is not enough; callers add
    /// how to declare the service instead, since that depends on whether a slipway.json exists.</summary>
    public static bool TryDetect(string directory, [NotNullWhen(true)] out DetectedService? service,
        [NotNullWhen(false)] out string? error)
    {
        service = null;
        error = null;
        if (!Directory.Exists(directory))
        {
            error = "the directory does not exist";
            return false;
        }

        var projects = Directory.EnumerateFiles(directory, "*.csproj", SearchOption.TopDirectoryOnly)
            .Where(file => Path.GetExtension(file) == ".csproj")
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)
            .ToList();
        var hasPackageJson = File.Exists(Path.Combine(directory, "package.json"));

        if (projects.Count > 1)
            error = $"found {projects.Count} .NET projects ({string.Join(", ", projects)}) and cannot tell which one to run";
        else if (projects.Count == 1)
            service = DetectDotnet(directory, projects[0]!, hasPackageJson);
        else if (hasPackageJson)
            service = DetectNode(directory, out error);
        else if (File.Exists(Path.Combine(directory, "index.html")))
            service = new DetectedService(ServiceType.Static, null, null, null, ".", "static site (index.html)");
        else
            error = $"found no {LookedFor}";

        return service is not null;
    }

    private static DetectedService DetectDotnet(string directory, string project, bool hasPackageJson)
    {
        var assembly = AssemblyName(Path.Combine(directory, project)) ?? Path.GetFileNameWithoutExtension(project);
        var note = hasPackageJson ? "; package.json left to the project's own build" : "";
        return new DetectedService(
            ServiceType.Web,
            Install: null, // dotnet publish restores
            Build: $"dotnet publish -c Release -o {PublishDirectory} --nologo",
            Start: $"dotnet {ShellQuote($"{PublishDirectory}/{assembly}.dll")}",
            Output: null,
            Description: $".NET ({project}{note})");
    }

    /// <summary>The project's &lt;AssemblyName&gt;, when it is a literal. Values built from MSBuild properties
    /// ("$(MSBuildProjectName).Api") or an unreadable project fall back to the file name, which is what the
    /// SDK uses by default.</summary>
    private static string? AssemblyName(string projectPath)
    {
        try
        {
            var name = XDocument.Load(projectPath).Descendants()
                .Where(element => element.Name.LocalName == "AssemblyName")
                .Select(element => element.Value.Trim())
                .LastOrDefault(value => value.Length > 0); // MSBuild: the last assignment wins
            return name is null || name.Contains("$(", StringComparison.Ordinal) ? null : name;
        }
        catch (XmlException)
        {
            return null;
        }
    }

    private static DetectedService? DetectNode(string directory, out string? error)
    {
        error = null;
        JsonElement package;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "package.json")));
            package = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            error = $"package.json is not valid JSON (line {e.LineNumber + 1}): {ManifestLoader.JsonReason(e)}";
            return null;
        }

        var hasLockfile = File.Exists(Path.Combine(directory, "package-lock.json"))
                          || File.Exists(Path.Combine(directory, "npm-shrinkwrap.json"));
        // npm ci installs exactly what the lockfile says and fails if it is out of date: reproducible builds.
        var install = hasLockfile ? "npm ci" : "npm install";
        var build = HasScript(package, "build") ? "npm run build" : null;

        if (DependsOn(package, "next"))
            return new DetectedService(ServiceType.Web, install, build, "npm start", null, "next.js (package.json)");
        if (HasScript(package, "start"))
            return new DetectedService(ServiceType.Web, install, build, "npm start", null, "node (package.json)");
        if (StringProperty(package, "main") is { } main)
            return new DetectedService(ServiceType.Web, install, build, $"node {ShellQuote(main)}", null, "node (package.json main)");
        foreach (var file in (string[])["server.js", "index.js"])
        {
            if (File.Exists(Path.Combine(directory, file)))
                return new DetectedService(ServiceType.Web, install, build, $"node {file}", null, $"node ({file})");
        }

        // Nothing to run, but something that builds a front end: a static site.
        if (build is not null && DependsOn(package, "vite"))
            return new DetectedService(ServiceType.Static, install, build, null, "dist",
                "static site built with vite (package.json)");
        if (build is not null && DependsOn(package, "react-scripts"))
            return new DetectedService(ServiceType.Static, install, build, null, "build",
                "static site built with create-react-app (package.json)");

        error = "package.json has no \"start\" script and no \"main\", and there is no server.js or index.js " +
                "(a \"start\" script in package.json would be used)";
        return null;
    }

    private static bool HasScript(JsonElement package, string name) =>
        package.ValueKind == JsonValueKind.Object
        && package.TryGetProperty("scripts", out var scripts)
        && StringProperty(scripts, name) is not null;

    private static bool DependsOn(JsonElement package, string name) =>
        package.ValueKind == JsonValueKind.Object
        && ((string[])["dependencies", "devDependencies"]).Any(section =>
            package.TryGetProperty(section, out var dependencies)
            && dependencies.ValueKind == JsonValueKind.Object
            && dependencies.TryGetProperty(name, out _));

    private static string? StringProperty(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object
        && element.TryGetProperty(name, out var value)
        && value.ValueKind == JsonValueKind.String
        && !string.IsNullOrWhiteSpace(value.GetString())
            ? value.GetString()
            : null;

    [GeneratedRegex("^[A-Za-z0-9_./@%+=:,-]+$")]
    private static partial Regex ShellSafe();

    /// <summary>Commands run through /bin/sh -c, so a file name with spaces or quotes must be quoted.</summary>
    private static string ShellQuote(string word) =>
        ShellSafe().IsMatch(word) ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
