using System.Globalization;
using System.Text.Json;

namespace Slipway.Manifests;

/// <summary>Reads what processes may use and keep: a service's "resources", "deploy.buildMemory" and the top-level
/// "volumes". A limit above what this machine has is an error: the kernel could never enforce it.</summary>
internal static class ResourcesReader
{
    /// <summary>Below this a Node or .NET process cannot start, and the OOM killer would look like a crash loop.</summary>
    public const long MinMemoryBytes = 32L << 20;

    public const int MinPids = 8;
    public const int MaxPids = 1_000_000;

    private const string VolumesExample = "\"volumes\": { \"uploads\": \"/data/uploads\" }";

    public static ResourcesSpec Read(ManifestObject resources) => new(
        Memory(resources, "memory"),
        Cpus(resources),
        resources.Int("pids", MinPids, MaxPids));

    /// <summary>A memory size like "512mb" that is at least <see cref="MinMemoryBytes"/> and at most the machine's memory.</summary>
    public static long? Memory(ManifestObject owner, string key)
    {
        var text = owner.String(key, "a size like \"512mb\"");
        if (text is null)
            return null;
        if (!ByteSizes.TryParse(text, out var bytes))
        {
            owner.Error(key, $"expected a size like \"512mb\" or \"2gb\", got {ManifestObject.Quote(text)}");
            return null;
        }
        if (bytes < MinMemoryBytes)
        {
            owner.Error(key, $"{text} is too little for a process to start; give it at least {ByteSizes.Format(MinMemoryBytes)}");
            return null;
        }
        if (bytes > MachineLimits.MemoryBytes)
        {
            owner.Error(key, $"{text} is more than this machine's memory ({ByteSizes.Format(MachineLimits.MemoryBytes / (1 << 20) * (1 << 20))}); " +
                             "ask for less, or run it on a bigger machine");
            return null;
        }
        return bytes;
    }

    private static double? Cpus(ManifestObject resources)
    {
        if (resources.Raw("cpu") is not { } value)
            return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var cpus) || cpus < 0.01)
        {
            resources.Error("cpu", $"expected a number of cores like 0.5 or 2 (at least 0.01), got {ManifestObject.Describe(value)}");
            return null;
        }
        if (cpus > MachineLimits.Cores)
        {
            resources.Error("cpu", $"{cpus.ToString(CultureInfo.InvariantCulture)} cores is more than this machine has ({MachineLimits.Cores}); " +
                                   "ask for at most that, or leave \"cpu\" out for no ceiling");
            return null;
        }
        return cpus;
    }

    public static IReadOnlyList<VolumeSpec> Volumes(ManifestObject root, ManifestDiagnostics diagnostics)
    {
        var volumes = new List<VolumeSpec>();
        if (root.Raw("volumes") is not { } map)
            return volumes;
        if (map.ValueKind != JsonValueKind.Object)
        {
            root.Error("volumes", $"expected an object of volumes by name, e.g. {VolumesExample}; got {ManifestObject.Describe(map)}");
            return volumes;
        }
        foreach (var property in map.EnumerateObject())
        {
            var path = ManifestDiagnostics.Join("volumes", property.Name);
            if (!ManifestKeys.NamePattern().IsMatch(property.Name))
            {
                diagnostics.Error(path, $"volume names are lowercase letters, digits and \"-\", starting with a letter; got {ManifestObject.Quote(property.Name)}");
                continue;
            }
            if (volumes.Any(v => v.Name == property.Name))
            {
                diagnostics.Error(path, $"volume \"{property.Name}\" is declared more than once; keep one");
                continue;
            }
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                diagnostics.Error(path, $"expected the path it is mounted at, like \"/data/uploads\" or \"uploads\", got {ManifestObject.Describe(property.Value)}");
                continue;
            }
            if (MountPath(property.Value.GetString()!, out var problem) is not { } mount)
            {
                diagnostics.Error(path, problem);
                continue;
            }
            if (volumes.FirstOrDefault(v => Overlaps(v.Path, mount)) is { } other)
            {
                diagnostics.Error(path, $"{ManifestObject.Quote(mount)} overlaps volume \"{other.Name}\" at {ManifestObject.Quote(other.Path)}; " +
                                        "give each volume a directory of its own, neither inside the other");
                continue;
            }
            volumes.Add(new VolumeSpec(property.Name, mount));
        }
        return volumes;
    }

    /// <summary>"/data/..." or a directory relative to the app's source root, normalized; null with the problem otherwise.</summary>
    private static string? MountPath(string value, out string problem)
    {
        problem = "";
        var allowed = $"volumes are mounted under {VolumeSpec.AbsoluteRoot} (like \"/data/uploads\") or in the app's own directory " +
                      "(a relative path like \"uploads\")";
        if (value.StartsWith('/'))
        {
            var segments = value.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (segments.Any(s => s is "." or "..") || segments.Length == 0 || segments[0] != VolumeSpec.AbsoluteRoot.TrimStart('/'))
            {
                problem = $"{ManifestObject.Quote(value)} is outside the allowed roots: {allowed}";
                return null;
            }
            return "/" + string.Join('/', segments);
        }
        if (!ManifestReader.TryNormalizeRelative(value, "inside the app", out var normalized, out var relativeProblem))
        {
            problem = $"{ManifestObject.Quote(value)}: {relativeProblem}; {allowed}";
            return null;
        }
        if (normalized == "." || normalized.Split('/')[0] is "node_modules" or ".git")
        {
            problem = $"{ManifestObject.Quote(value)} would hide the app's own files; name a directory of its own, like \"uploads\"";
            return null;
        }
        return normalized;
    }

    private static bool Overlaps(string a, string b) =>
        a == b || a.StartsWith(b + "/", StringComparison.Ordinal) || b.StartsWith(a + "/", StringComparison.Ordinal);
}
