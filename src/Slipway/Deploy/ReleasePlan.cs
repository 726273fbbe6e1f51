using Slipway.Config;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>What a deployment does once its inputs are known (<see cref="ReleasePlanner"/>).</summary>
internal abstract record ReleasePlan
{
    private ReleasePlan() { }

    /// <summary>Roll <paramref name="Release"/> out. <paramref name="From"/>: the recorded deployment it reuses (its
    /// build, spec and commit are recorded on the new deployment); <paramref name="NewConfig"/>: config that differs
    /// from the recorded one and is sealed into the new deployment; <paramref name="Notes"/>: lines for its log.</summary>
    public sealed record Run(Release Release, DeploymentRecord From, ConfigSnapshot? NewConfig, IReadOnlyList<string> Notes) : ReleasePlan;

    /// <summary>The build carries values that changed (build-time variables baked into a bundle): build the kept
    /// pristine source of <paramref name="From"/> again, with <paramref name="Config"/> (already checked).</summary>
    public sealed record Rebuild(RecordedRelease From, ConfigSnapshot Config, string Reason) : ReleasePlan;
}
