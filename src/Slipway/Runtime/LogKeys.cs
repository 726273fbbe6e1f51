namespace Slipway.Runtime;

/// <summary>The log streams the platform keeps.</summary>
internal static class LogKeys
{
    public static string App(string app) => "apps/" + app;
    public static string Deployment(string app, string deploymentId) => $"deployments/{app}/{deploymentId}";

    public static string Deployments(string app) => "deployments/" + app;

    /// <summary>The edge's access log of one app: one structured line per request.</summary>
    public static string Access(string app) => "access/" + app;

    /// <summary>The app a stream belongs to ("apps/APP", "deployments/APP/ID", "access/APP").</summary>
    public static string? AppOf(string key)
    {
        var parts = key.Split('/');
        return parts.Length >= 2 && parts[0] is "apps" or "deployments" or "access" ? parts[1] : null;
    }
}
