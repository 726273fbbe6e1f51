using Slipway.State;

namespace Slipway.Errors;

/// <summary>What every process of an app gets for error tracking: SENTRY_DSN (its environment's project on the
/// loopback ingest), SENTRY_RELEASE (the deployment's commit or build: a config change keeps it) and
/// SENTRY_ENVIRONMENT (production, staging, pr-7). A SENTRY_DSN in the app's own config wins: then nothing is added,
/// so a team that keeps its Sentry keeps it whole.</summary>
internal sealed class ErrorsEnvironment(ErrorStore store, ErrorsAddress address, ErrorReleases releases, Store state) : Deploy.IProcessVariables
{
    public const string Dsn = "SENTRY_DSN";
    public const string Release = "SENTRY_RELEASE";
    public const string Environment = "SENTRY_ENVIRONMENT";

    public void AddTo(string app, string deploymentId, IDictionary<string, string> environment)
    {
        if (environment.ContainsKey(Dsn) || address.DsnOf(store.ProjectFor(app)) is not { } dsn)
        {
            return;
        }
        environment[Dsn] = dsn;
        if (releases.NameOf(deploymentId) is { } release)
        {
            environment[Release] = release;
        }
        environment[Environment] = state.RefOf(app).Env;
    }

    public string? StaleSincePreviousRun => address.Moved;
}
