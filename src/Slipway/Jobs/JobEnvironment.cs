namespace Slipway.Jobs;

/// <summary>What the platform adds to the environment of every instance and command job of an app:
/// CRON_SECRET (unless the app's config sets its own), and the messages API's URL, token and signing key.
/// Added when a process starts, not sealed into the deployment: the URL is this platform's loopback
/// listener, whose port each platform process takes back from the previous one (instances outlive it).</summary>
internal sealed class JobEnvironment(JobSecrets secrets, MessagesAddress messages) : Deploy.IProcessVariables
{
    public const string MessagesUrl = "SLIPWAY_MESSAGES_URL";

    public void AddTo(string app, string deploymentId, IDictionary<string, string> env)
    {
        var generated = secrets.For(app);
        env.TryAdd(JobSecrets.CronSecret, generated[JobSecrets.CronSecret]);
        env[JobSecrets.MessagesToken] = generated[JobSecrets.MessagesToken];
        env[JobSecrets.SigningKey] = generated[JobSecrets.SigningKey];
        if (messages.BaseUrl is { } url)
        {
            env[MessagesUrl] = url + "/v1/messages";
        }
    }

    public string? StaleSincePreviousRun => messages.Moved;

    /// <summary>The CRON_SECRET the app's processes have: its own config's, else the generated one.</summary>
    public string CronSecretOf(string app, IReadOnlyDictionary<string, string> releaseConfig) =>
        releaseConfig.TryGetValue(JobSecrets.CronSecret, out var own) ? own : secrets.For(app)[JobSecrets.CronSecret];
}
