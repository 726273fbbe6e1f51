using Slipway.Config;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>What a deployment leaves behind as it runs: its status in the store, its log (which the CLI follows),
/// its failure, and going live (the record, the event, pruning old builds and logs).</summary>
internal sealed class DeploymentJournal(
    Store store,
    LogStore logs,
    SecretRedactor redactor,
    AppHosts hosts,
    BuildDirectories builds,
    Edge.EdgeServer edge,
    TimeProvider clock,
    DeployMetrics metrics)
{
    private const int KeptDeploymentLogs = 100;

    public void Status(DeploymentRecord deployment, DeploymentStatus status, string message)
    {
        if (status != DeploymentStatus.Queued && status != DeploymentStatus.Live)
        {
            store.SetDeploymentStatus(deployment.Id, status);
        }
        Log(deployment, "deploy", message);
        Append(deployment, "status", JsonSpellings.Of(status));
    }

    public void Log(DeploymentRecord deployment, string kind, string message) => Append(deployment, kind, message);

    /// <summary>The step a deployment is in now (where a failure or cancellation caught it).</summary>
    public string CurrentStep(DeploymentRecord deployment) => JsonSpellings.Of(store.FindDeployment(deployment.Id)?.Status ?? DeploymentStatus.Queued);

    public void Fail(DeploymentRecord deployment, DeploymentStatus status, string step, string error, IReadOnlyList<string> lastLines)
    {
        var spelled = JsonSpellings.Of(status);
        error = redactor.Redact(deployment.App, error);
        store.FailDeployment(deployment.Id, status, step, error);
        metrics.Ended(deployment, status);
        store.AddEvent(deployment.App, deployment.Id, "deployment." + spelled, $"{step}: {error}");
        Log(deployment, "deploy", $"{spelled} at {step}: {error}");
        foreach (var line in lastLines)
        {
            Log(deployment, "tail", line);
        }
        Append(deployment, "status", spelled);
    }

    /// <summary>The deployment serves now: it becomes the live one (retiring the previous in the same
    /// transaction), and builds and logs beyond what is kept are pruned. <paramref name="wentLive"/> runs once it is
    /// live and before the "live" status ends the log its followers read (a rollback writes its config back there).</summary>
    public void GoLive(DeploymentRecord deployment, Action? wentLive = null)
    {
        store.MakeLive(deployment.App, deployment.Id);
        wentLive?.Invoke();
        var urls = string.Join(", ", hosts.For(deployment.App).Select(edge.UrlOf));
        store.AddEvent(deployment.App, deployment.Id, "deployment.live", $"{JsonSpellings.Of(deployment.Kind)} {deployment.Id} is live");
        builds.Prune(deployment.App);
        // History rows stay; the build and release logs of all but the last 100 deployments go.
        foreach (var old in store.ListDeployments(deployment.App, 100_000).Skip(KeptDeploymentLogs))
        {
            logs.Delete(LogKeys.Deployment(deployment.App, old.Id));
        }
        metrics.Ended(deployment, DeploymentStatus.Live);
        Status(deployment, DeploymentStatus.Live, $"live at {urls}");
    }

    private void Append(DeploymentRecord deployment, string kind, string message) =>
        logs.Append(LogKeys.Deployment(deployment.App, deployment.Id), new LogEntry(clock.GetUtcNow(), kind, message, deployment.Id));
}
