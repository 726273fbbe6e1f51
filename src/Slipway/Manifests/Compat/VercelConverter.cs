using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Slipway.Manifests.Compat;

/// <summary>vercel.json to one service named "web": a static service serving outputDirectory, or a web service
/// for Next.js (a "next" dependency in package.json, or "framework": "nextjs"), which Vercel runs as functions
/// and Slipway runs with `npm start`.
/// <code>
///   buildCommand → build (its leading install, if any, runs once: InstallInBuild)
///   installCommand → install     outputDirectory → output (static only)
///   rewrites, redirects, headers, cleanUrls, trailingSlash → routes (same shape)
///   crons[] { path, schedule }                              → crons, named after the path's last segment
/// </code></summary>
internal static partial class VercelConverter
{
    public const string FileName = "vercel.json";
    private const string ServiceName = "web";

    private static readonly Dictionary<string, IReadOnlyList<string>> RouteKeys = new(StringComparer.Ordinal)
    {
        ["rewrites"] = ManifestKeys.RewriteKeys,
        ["redirects"] = ManifestKeys.RedirectKeys,
        ["headers"] = ManifestKeys.HeaderRuleKeys,
    };

    public static void Convert(Conversion conversion)
    {
        if (conversion.ReadJson(FileName) is not { } root)
            return;

        var hasFramework = root.TryGetProperty("framework", out var declared);
        var framework = hasFramework && declared.ValueKind == JsonValueKind.String ? declared.GetString() : null;
        var isNext = framework == "nextjs" || DependsOnNext(conversion.SourceDir);
        var service = conversion.Service(ServiceName);
        if (!isNext && hasFramework)
            conversion.Set(service, "type", "static", SourceValue.Implied(FileName, "framework", declared));
        else if (!isNext)
            service["type"] = "static"; // follows from package.json (no "next"), not from a key in vercel.json

        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "$schema" or "version":
                    break; // editor hints and the long-fixed platform version, not settings
                case "framework":
                    if (!isNext && framework is not (null or "vite" or "create-react-app"))
                        conversion.Warn(FileName, "framework", $"\"{framework}\" is deployed as a static site from the " +
                                                               "build's output; if it needs a server, declare a web service in slipway.json");
                    break;
                case "buildCommand":
                    conversion.Build(service, FileName, "buildCommand", value);
                    break;
                case "installCommand":
                    conversion.Copy(service, "install", FileName, property.Name, value);
                    break;
                case "outputDirectory" when isNext:
                    conversion.Ignored(FileName, "outputDirectory", "a Next.js app runs as a web service with `npm start`");
                    break;
                case "outputDirectory":
                    conversion.Copy(service, "output", FileName, property.Name, value);
                    break;
                case "rewrites" or "redirects" or "headers":
                    Rules(conversion, property.Name, value);
                    break;
                case "cleanUrls" or "trailingSlash":
                    conversion.Copy(conversion.Routes, property.Name, FileName, property.Name, value);
                    break;
                case "crons":
                    Crons(conversion, value);
                    break;
                case "env" or "build":
                    conversion.Ignored(FileName, property.Name, "set environment variables with `slipway env set NAME=value`");
                    break;
                default:
                    conversion.Ignored(FileName, property.Name);
                    break;
            }
        }
    }

    /// <summary>Copies rules whose keys Slipway understands. A rule with conditions ("has", "missing") or
    /// other extras is left out whole: applied without them it would match requests it was not meant for.</summary>
    private static void Rules(Conversion conversion, string key, JsonElement rules)
    {
        if (rules.ValueKind != JsonValueKind.Array)
        {
            conversion.Copy(conversion.Routes, key, FileName, key, rules);
            return;
        }

        var list = new JsonArray();
        var index = 0;
        foreach (var rule in rules.EnumerateArray())
        {
            var extra = rule.ValueKind == JsonValueKind.Object
                ? rule.EnumerateObject().Select(p => p.Name).Where(name => !RouteKeys[key].Contains(name)).ToList()
                : [];
            if (extra.Count > 0)
                conversion.Warn(FileName, $"{key}[{index}]", $"{string.Join(", ", extra)} is not supported, so the rule " +
                                                             $"(source {Source(rule)}) was left out");
            else
                list.Add(Conversion.Node(rule));
            index++;
        }

        if (list.Count > 0)
            conversion.Set(conversion.Routes, key, list, SourceValue.Of(FileName, key, rules));
    }

    private static void Crons(Conversion conversion, JsonElement crons)
    {
        if (crons.ValueKind != JsonValueKind.Array)
        {
            conversion.Crons.Add(Conversion.Node(crons));
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var cron in crons.EnumerateArray())
        {
            var key = $"crons[{index}]";
            if (cron.ValueKind != JsonValueKind.Object)
            {
                conversion.Crons.Add(Conversion.Node(cron));
                index++;
                continue;
            }

            var job = new JsonObject();
            foreach (var property in cron.EnumerateObject())
            {
                if (property.Name is "path" or "schedule")
                    conversion.Copy(job, property.Name, FileName, $"{key}.{property.Name}", property.Value);
                else
                    conversion.Ignored(FileName, $"{key}.{property.Name}");
            }

            // Vercel calls cron paths with GET and never catches up on runs it missed.
            var hasPath = cron.TryGetProperty("path", out var path);
            var implied = hasPath ? SourceValue.Implied(FileName, $"{key}.path", path) : SourceValue.Implied(FileName, key, cron);
            conversion.Set(job, "name", UniqueName(names, hasPath ? path.ToString() : ""), implied);
            conversion.Set(job, "method", "GET", implied);
            conversion.Set(job, "missed", "skip", implied);
            conversion.Crons.Add(job);
            index++;
        }
    }

    /// <summary>"/api/cron/daily-sync" → "daily-sync"; a second job on the same path gets "daily-sync-2".</summary>
    private static string UniqueName(HashSet<string> taken, string path)
    {
        var segment = path.Split('?')[0].Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        var name = NotNameCharacters().Replace(segment.ToLowerInvariant(), "-").Trim('-');
        if (name.Length == 0 || !char.IsAsciiLetterLower(name[0]))
            name = "cron-" + name;
        name = name.Length > 34 ? name[..34].TrimEnd('-') : name;
        var unique = name;
        for (var i = 2; !taken.Add(unique); i++)
            unique = $"{name}-{i}";
        return unique;
    }

    private static string Source(JsonElement rule) =>
        rule.ValueKind == JsonValueKind.Object && rule.TryGetProperty("source", out var source)
            ? ManifestObject.Describe(source)
            : "unknown";

    private static bool DependsOnNext(string sourceDir)
    {
        try
        {
            using var package = JsonDocument.Parse(File.ReadAllText(Path.Combine(sourceDir, "package.json")));
            return ((string[])["dependencies", "devDependencies"]).Any(section =>
                package.RootElement.ValueKind == JsonValueKind.Object
                && package.RootElement.TryGetProperty(section, out var dependencies)
                && dependencies.ValueKind == JsonValueKind.Object
                && dependencies.TryGetProperty("next", out _));
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return false; // no package.json, or a broken one that detection will report
        }
    }

    [GeneratedRegex("[^a-z0-9-]+")]
    private static partial Regex NotNameCharacters();
}
