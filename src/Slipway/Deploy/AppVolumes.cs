using System.Text.Json;
using Slipway.Manifests;
using Slipway.Sandbox;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>An environment's volumes on the host (DATA/volumes/ENV/NAME) and what its disk use is: the ones its live
/// deployment declares and any kept from earlier ones (a volume is never deleted by a deploy; `volumes rm` or a
/// destroy deletes it).</summary>
internal sealed class AppVolumes(Store store, DeployOptions options, BuildDirectories builds, DiskUsage disk)
{
    public static string DirOf(DeployOptions options, string appRow, string name) => Path.Combine(options.DataDir, "volumes", appRow, name);

    public IReadOnlyList<VolumeState> List(string appRow)
    {
        var root = Path.Combine(options.DataDir, "volumes", appRow);
        var declared = LiveSpec(appRow)?.Volumes ?? [];
        var kept = Directory.Exists(root) ? Directory.EnumerateDirectories(root).Select(d => Path.GetFileName(d)!) : [];
        return declared.Select(v => v.Name).Union(kept, StringComparer.Ordinal)
            .Select(name =>
            {
                var dir = DirOf(options, appRow, name);
                return new VolumeState(name, declared.FirstOrDefault(v => v.Name == name)?.Path, dir, disk.Of(dir));
            })
            .ToList();
    }

    /// <summary>Bytes of the live build (source, dependencies, output) and of all volumes.</summary>
    public (long? Build, long Volumes) DiskOf(string appRow)
    {
        long? build = store.FindApp(appRow)?.LiveDeploymentId is { } id && store.FindDeployment(id)?.BuildId is { } buildId
            && store.FindBuild(buildId) is { } record ? disk.Of(builds.DirOf(record)) : null;
        return (build, List(appRow).Sum(v => v.Bytes));
    }

    /// <summary>Whether anything caps a volume's growth, said plainly.</summary>
    public string Quota => DiskQuotas.Describe(options.DataDir);

    /// <summary>Deletes a volume the live deployment does not mount (its data is gone for good).</summary>
    public void Remove(string appRow, string name)
    {
        if (LiveSpec(appRow)?.Volumes.FirstOrDefault(v => v.Name == name) is { } mounted)
        {
            throw new UserException($"Volume {name} is mounted at {mounted.Path} by the live deployment of {appRow}; remove it from slipway.json's " +
                "\"volumes\" and deploy first, then remove it here.", 409);
        }
        var dir = DirOf(options, appRow, name);
        if (!ManifestKeys.NamePattern().IsMatch(name) || !Directory.Exists(dir))
        {
            throw new UserException($"{appRow} has no volume {name}. See its volumes with: slipway volumes ls --app {appRow}", 404);
        }
        Directory.Delete(dir, recursive: true);
    }

    public void DeleteApp(string appRow)
    {
        var root = Path.Combine(options.DataDir, "volumes", appRow);
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private AppSpec? LiveSpec(string appRow) =>
        store.FindApp(appRow)?.LiveDeploymentId is { } id && store.FindDeployment(id)?.SpecJson is { } json
            ? JsonSerializer.Deserialize<AppSpec>(json, Release.Json)
            : null;
}

/// <param name="Path">Where the live deployment mounts it; null: kept from an earlier deployment, mounted by none.</param>
/// <param name="HostDir">Where it is on the platform's disk.</param>
internal sealed record VolumeState(string Name, string? Path, string HostDir, long Bytes);
