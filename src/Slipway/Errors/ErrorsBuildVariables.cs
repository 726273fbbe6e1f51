using Slipway.Manifests;

namespace Slipway.Errors;

/// <summary>With <c>"errors": {"browser": true}</c>, a build gets what a browser SDK needs inlined, under both prefixes
/// frameworks inline (Vite's and Next.js'): SENTRY_DSN (the environment's project; its key is public by design),
/// SENTRY_RELEASE (this build's release, the one its server processes report), SENTRY_ENVIRONMENT and SENTRY_TUNNEL
/// (/_slipway/errors: the SDK's <c>tunnel</c> option, so the browser sends to the app's own origin). A value the app's
/// config sets wins.</summary>
internal sealed class ErrorsBuildVariables(ErrorStore store, ErrorsAddress address) : Deploy.IBuildVariables
{
    public static readonly IReadOnlyList<string> Prefixes = ["VITE_", "NEXT_PUBLIC_"];

    public void AddTo(AppRef target, string release, AppSpec spec, IDictionary<string, string> environment)
    {
        if (!spec.Errors.Browser || address.DsnOf(store.ProjectFor(target.Key)) is not { } dsn)
        {
            return;
        }
        foreach (var prefix in Prefixes)
        {
            environment.TryAdd(prefix + ErrorsEnvironment.Dsn, dsn);
            environment.TryAdd(prefix + ErrorsEnvironment.Release, release);
            environment.TryAdd(prefix + ErrorsEnvironment.Environment, target.Env);
            environment.TryAdd(prefix + "SENTRY_TUNNEL", ErrorsTunnel.TunnelPath);
        }
    }
}
