using Slipway.Builds;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>releasing: each service's release command (migrations), once, in the new build with the new config,
/// before any new instance starts. A failure ends the deployment with nothing switched.</summary>
internal sealed class ReleaseCommands(StepRunner steps, ProcessEnvironment environments, AppIsolation isolation, DeploymentJournal journal, Store store, IEnvironmentResources resources)
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
                    new LaunchSpec(service.Release!, release.ServiceDir(service), variables)
                    {
                        Isolation = isolation.ForService(release, service, "release"),
                    },
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
                    "; nothing was switched, the live version keeps serving" + DatabaseHint.For(store.RefOf(release.App), variables, resources.VariablesOf(release.App), result.LastLines), result.LastLines);
            }
        }
    }
}
