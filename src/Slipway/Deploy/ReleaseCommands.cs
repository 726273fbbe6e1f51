using Slipway.Builds;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>releasing: each service's release command (migrations), once, in the new build with the new config,
/// before any new instance starts. A failure ends the deployment with nothing switched.</summary>
internal sealed class ReleaseCommands(StepRunner steps, ProcessEnvironment environments, DeploymentJournal journal, Store store)
{
    public async Task RunAsync(DeploymentRecord deployment, Release release, CancellationToken token)
    {
        journal.Status(deployment, DeploymentStatus.Releasing, "releasing");
        foreach (var service in release.Spec.Services.Where(s => s.Release is not null))
        {
            var variables = environments.For(release, service);
            StepResult result;
            try
            {
                result = await steps.RunAsync(release.App, deployment.Id, "release", service.Name,
                    new LaunchSpec(service.Release!, release.ServiceDir(service), variables),
                    release.Spec.Deploy.ReleaseTimeout, token);
            }
            catch (EnvironmentTooLargeException)
            {
                throw DeployFailure.EnvironmentTooLarge($"{service.Name}: release command ({service.Release})");
            }
            token.ThrowIfCancellationRequested();
            if (!result.Succeeded)
            {
                throw new DeployFailure("release", result.Describe($"{service.Name}: release command ({service.Release})") +
                    "; nothing was switched, the live version keeps serving" + DatabaseHint(store.RefOf(release.App), variables, result.LastLines), result.LastLines);
            }
        }
    }

    /// <summary>A release (migrations) that found no database where a local default points (its driver's default,
    /// or a localhost URL in the code) while the app has no DATABASE_URL: the usual first deploy of an app whose
    /// database was never created.</summary>
    private static string DatabaseHint(AppRef owner, IReadOnlyDictionary<string, string> variables, IReadOnlyList<string> lines)
    {
        if (variables.ContainsKey("DATABASE_URL") || !lines.Any(LocalPostgresRefused))
        {
            return "";
        }
        return $". It could not reach PostgreSQL on this machine's port 5432 and the app has no DATABASE_URL: " +
            $"'slipway db create {owner.Flags}' gives it a database (its URL becomes the secret DATABASE_URL), then deploy again";
    }

    private static bool LocalPostgresRefused(string line) =>
        (line.Contains("ECONNREFUSED", StringComparison.Ordinal) || line.Contains("refused", StringComparison.OrdinalIgnoreCase)) &&
        (line.Contains(":5432", StringComparison.Ordinal) || line.Contains("port 5432", StringComparison.Ordinal));
}
