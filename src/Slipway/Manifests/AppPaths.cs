namespace Slipway.Manifests;

/// <summary>Paths on the app that the platform itself requests (cron paths, message paths).</summary>
internal static class AppPaths
{
    /// <summary>False for a path a URL resolver reads as another host ("//host/x", "/\host/x").</summary>
    public static bool IsLocalPath(string path) =>
        path.StartsWith('/') && !path.StartsWith("//", StringComparison.Ordinal) && !path.Contains('\\', StringComparison.Ordinal);
}
