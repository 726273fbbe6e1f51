namespace Slipway.Manifests;

/// <summary>A persistent directory of an environment ("volumes": { "uploads": "/data/uploads" }): it survives deploys
/// and rollbacks and is mounted writable at <see cref="Path"/> in every instance, release command and cron command job
/// of the environment (not in builds). Everything else an app writes is gone at its next deploy.</summary>
/// <param name="Path">Absolute under /data ("/data/uploads"), or relative to the app's source root ("uploads"), normalized.</param>
internal sealed record VolumeSpec(string Name, string Path)
{
    /// <summary>The one absolute root volumes may be mounted under: it exists in the sandbox only (a host /data is not seen).</summary>
    public const string AbsoluteRoot = "/data";

    public bool IsRelative => !Path.StartsWith('/');
}
