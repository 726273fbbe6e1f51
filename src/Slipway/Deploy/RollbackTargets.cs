using Slipway.State;

namespace Slipway.Deploy;

/// <summary>Which deployment a rollback goes back to. Resolved when the request arrives (so a mistake is
/// reported at once) and again when the rollback runs under the app's lock (so a deployment that finished
/// in between counts). Whether its build can still run is <see cref="RecordedReleases"/>' one check.</summary>
internal static class RollbackTargets
{
    public static DeploymentRecord Resolve(Store store, AppRef owner, string? toId)
    {
        var appRecord = AppErrors.Require(store, owner);
        var app = owner.Key;
        var history = store.ListDeployments(app, 100_000);
        DeploymentRecord target;
        if (toId is not null)
        {
            target = history.FirstOrDefault(d => d.Id == toId || d.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture) == toId)
                ?? throw new UserException($"No deployment '{toId}' in app {app}. 'slipway deployments --app {app}' lists them.", 404);
            if (target.LiveAt is null || target.BuildId is null)
            {
                throw new UserException($"Deployment {target.Id} never went live ({JsonSpellings.Of(target.Status)}), so there is nothing to roll back to. Pick one that did from 'slipway deployments --app {app}'.");
            }
            if (target.Id == appRecord.LiveDeploymentId)
            {
                throw new UserException($"Deployment {target.Id} is already live.");
            }
        }
        else
        {
            // The deployment live before the current one, skipping any that ran the very same build and config.
            var live = history.FirstOrDefault(d => d.Id == appRecord.LiveDeploymentId);
            target = history.FirstOrDefault(d => d.LiveAt is not null && d.Id != appRecord.LiveDeploymentId && d.BuildId is not null &&
                    (live is null || d.Seq < live.Seq) &&
                    (live is null || d.BuildId != live.BuildId || (d.ConfigHash ?? d.ConfigJson) != (live.ConfigHash ?? live.ConfigJson)))
                ?? throw new UserException($"App {app} has no earlier deployment that went live, so there is nothing to roll back to.");
        }
        return target;
    }
}
