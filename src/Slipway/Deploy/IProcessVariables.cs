namespace Slipway.Deploy;

/// <summary>Variables the platform adds to every process of an app besides its config (Jobs/: CRON_SECRET,
/// the messages API's URL and token; Errors/: SENTRY_DSN, SENTRY_RELEASE, SENTRY_ENVIRONMENT). Added when a process starts, not sealed into the release.</summary>
internal interface IProcessVariables
{
    /// <param name="app">The app environment's row key.</param>
    /// <param name="deploymentId">The deployment whose release the process runs.</param>
    void AddTo(string app, string deploymentId, IDictionary<string, string> environment);

    /// <summary>Why processes the previous platform process started have values that are no longer right (the
    /// messages listener could not get its port back), or null: a platform that starts adopts no instance then, so
    /// none keeps sending to a port another process may now hold.</summary>
    string? StaleSincePreviousRun { get; }
}
