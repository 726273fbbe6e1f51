using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Slipway.Manifests.Compat;

/// <summary>A Procfile (Heroku, Dokku): one "type: command" per line. "web" becomes the web service, "release"
/// the release command of the web service (of every service when there is no web), and every other process
/// type a worker service named after it ("worker", "clock", "urgent_jobs" → "urgent-jobs").</summary>
internal static partial class ProcfileConverter
{
    public const string FileName = "Procfile";
    private const string Release = "release";

    /// <summary>Adds the Procfile's services. Returns the service names by process type, for app.json's
    /// formation; null when the file could not be read (errors are reported).</summary>
    public static IReadOnlyDictionary<string, string>? Convert(Conversion conversion)
    {
        var processes = Parse(conversion);
        if (processes is null)
            return null;

        var services = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (type, command, line) in processes.Where(process => process.Type != Release))
        {
            var name = ServiceName(type);
            if (!ManifestKeys.NamePattern().IsMatch(name))
            {
                conversion.Error(FileName, $"line {line}: process type \"{type}\" cannot be a service name " +
                                           "(letters, digits, \"-\" and \"_\", starting with a letter, at most 40 characters)");
                continue;
            }

            if (conversion.Services.ContainsKey(name))
            {
                conversion.Error(FileName, $"line {line}: process type \"{type}\" is declared twice (as service \"{name}\"); keep one");
                continue;
            }

            var service = conversion.Service(name);
            var source = SourceValue.Of(FileName, type, command);
            conversion.From(conversion.Services, name, source);
            if (type != "web")
                conversion.Set(service, "type", "worker", source with { Derived = true });
            conversion.Set(service, "start", command, source);
            services[type] = name;
        }

        if (processes.FirstOrDefault(process => process.Type == Release) is { } release)
            AddRelease(conversion, release.Command, SourceValue.Of(FileName, Release, release.Command));
        else if (services.Count == 0 && !conversion.Failed)
            conversion.Error(FileName, "declares no process types; add a line like \"web: npm start\"");
        return services;
    }

    /// <summary>Runs <paramref name="command"/> (from <paramref name="source"/>) before the web service starts, or
    /// before every service when there is no web service. A release command already there (from the Procfile) runs
    /// after it.</summary>
    public static void AddRelease(Conversion conversion, string command, SourceValue source)
    {
        var targets = conversion.Services.ContainsKey("web")
            ? [conversion.Service("web")]
            : conversion.Services.Select(pair => pair.Value).OfType<JsonObject>().ToList();
        foreach (var service in targets)
        {
            if (service["release"]?.GetValue<string>() is { } existing)
                conversion.Set(service, "release", $"{command} && {existing}", source with { Derived = true });
            else
                conversion.Set(service, "release", command, source);
        }
    }

    private static List<(string Type, string Command, int Line)>? Parse(Conversion conversion)
    {
        var lines = File.ReadAllLines(Path.Combine(conversion.SourceDir, FileName));
        var processes = new List<(string Type, string Command, int Line)>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var match = Line().Match(line);
            if (!match.Success)
            {
                conversion.Error(FileName, $"line {i + 1}: expected \"<process type>: <command>\" like \"web: npm start\", " +
                                           $"got {ManifestObject.Quote(line)}");
                continue;
            }

            var type = match.Groups["type"].Value;
            if (type == Release && processes.Exists(process => process.Type == Release))
                conversion.Error(FileName, $"line {i + 1}: \"release\" is declared twice; keep one");
            else
                processes.Add((type, match.Groups["command"].Value.Trim(), i + 1));
        }

        return conversion.Failed ? null : processes;
    }

    /// <summary>Process types allow capitals and "_"; service names are lowercase with "-".</summary>
    private static string ServiceName(string type) => type.ToLowerInvariant().Replace('_', '-');

    [GeneratedRegex(@"^(?<type>[A-Za-z0-9_-]+)\s*:\s*(?<command>\S.*)$")]
    private static partial Regex Line();
}
