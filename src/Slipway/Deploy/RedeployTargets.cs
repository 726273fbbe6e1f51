using System.Globalization;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>Which deployment a redeploy builds again: the one named (by id or number), else the live one. Pure over
/// the history; whether its source is still kept is the engine's look at the disk (<see cref="DeployEngine.Redeploy"/>).</summary>
internal static class RedeployTargets
{
    /// <param name="history">The environment's deployments, any order.</param>
    /// <param name="liveId">Its live deployment, if any.</param>
    public static DeploymentRecord Resolve(IReadOnlyList<DeploymentRecord> history, string? liveId, AppRef owner, string? fromId)
    {
        DeploymentRecord target;
        if (fromId is not null)
        {
            target = history.FirstOrDefault(d => d.Id == fromId || d.Seq.ToString(CultureInfo.InvariantCulture) == fromId)
                ?? throw new UserException($"No deployment '{fromId}' in {owner}. 'slipway deployments {owner.Flags}' lists them.", 404);
        }
        else
        {
            target = history.FirstOrDefault(d => d.Id == liveId)
                ?? throw new UserException($"{owner} has no live deployment to redeploy. Deploy its source first: slipway deploy DIR {owner.Flags}, " +
                    $"or name an earlier deployment: slipway redeploy --from ID {owner.Flags}.", 409);
        }
        if (target.BuildId is null)
        {
            var how = target.Kind == DeploymentKind.Deploy
                ? $"it {JsonSpellings.Of(target.Status)}" + (target.Step is { } step ? $" at {step}" : "") + " before its source was built"
                : $"it is a {JsonSpellings.Of(target.Kind)} that did not start";
            throw new UserException($"Deployment #{target.Seq} ({target.Id}) has no source to build again: {how}. Pick another from " +
                $"'slipway deployments {owner.Flags}' (--from ID), or deploy the source: slipway deploy DIR {owner.Flags}.", 409);
        }
        return target;
    }

    /// <summary>The 409 for a target whose build, or the pristine source kept beside it, is gone.</summary>
    public static UserException SourceGone(DeploymentRecord target, AppRef owner, int keepBuilds) =>
        new($"The source of deployment #{target.Seq} ({target.Id}, {target.Source}) is no longer kept: a source is kept with its build, " +
            $"and the platform keeps the builds of the last {keepBuilds} deployments that went live (slipway server --keep-builds). " +
            $"Deploy the source again instead: slipway deploy DIR {owner.Flags}" +
            (target.Source.StartsWith("git push ", StringComparison.Ordinal) ? ", or push a new commit." : "."), 409);
}
