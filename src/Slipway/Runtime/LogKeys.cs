namespace Slipway.Runtime;

/// <summary>The log streams the platform keeps.</summary>
internal static class LogKeys
{
    public static string App(string app) => "apps/" + app;
    public static string Deployment(string deploymentId) => "deployments/" + deploymentId;
}
