using Slipway.Deploy;
using Slipway.State;

namespace Slipway.Tests.Deploy;

/// <summary>Which deployment `slipway redeploy` builds again, and what it says when there is none to build.</summary>
public sealed class RedeployTargetsTests
{
    private static readonly AppRef Shop = AppRef.Of("shop");
    private static readonly AppRef Staging = AppRef.Of("shop", "staging");
    private static readonly DateTimeOffset At = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);

    private static DeploymentRecord D(long seq, DeploymentStatus status, string? build, DeploymentKind kind = DeploymentKind.Deploy, string? step = null) =>
        new($"d-{seq}", "shop", seq, kind, status, step, null, "/src/shop", null, build, build is null ? null : "{}", null, null, At, At, At, null);

    private static readonly IReadOnlyList<DeploymentRecord> History =
    [
        D(4, DeploymentStatus.Failed, null, step: "manifest"),
        D(3, DeploymentStatus.Live, "b-3"),
        D(2, DeploymentStatus.Failed, "b-2", step: "health-checking"),
        D(1, DeploymentStatus.Retired, "b-1"),
    ];

    [Fact]
    public void Without_from_it_is_the_live_deployment() =>
        RedeployTargets.Resolve(History, "d-3", Shop, null).Id.Should().Be("d-3");

    [Theory]
    [InlineData("d-1", "d-1")]
    [InlineData("1", "d-1")]
    [InlineData("2", "d-2")] // built, then failed its health check: its source can still be built again
    public void From_names_a_deployment_by_id_or_number(string from, string expected) =>
        RedeployTargets.Resolve(History, "d-3", Shop, from).Id.Should().Be(expected);

    [Fact]
    public void An_unknown_deployment_is_a_404_naming_the_list()
    {
        var e = FluentActions.Invoking(() => RedeployTargets.Resolve(History, "d-3", Staging, "9")).Should().Throw<UserException>().Which;
        e.StatusCode.Should().Be(404);
        e.Message.Should().Be("No deployment '9' in shop (staging). 'slipway deployments --app shop --env staging' lists them.");
    }

    [Fact]
    public void Nothing_live_and_nothing_named_is_a_409_saying_what_to_do()
    {
        var e = FluentActions.Invoking(() => RedeployTargets.Resolve(History, null, Shop, null)).Should().Throw<UserException>().Which;
        e.StatusCode.Should().Be(409);
        e.Message.Should().Contain("slipway deploy DIR --app shop").And.Contain("slipway redeploy --from ID --app shop");
    }

    [Fact]
    public void A_deployment_that_never_built_has_no_source_to_build_again()
    {
        var e = FluentActions.Invoking(() => RedeployTargets.Resolve(History, "d-3", Shop, "4")).Should().Throw<UserException>().Which;
        e.StatusCode.Should().Be(409);
        e.Message.Should().StartWith("Deployment #4 (d-4) has no source to build again: it failed at manifest before its source was built.");
    }

    [Fact]
    public void A_pruned_source_says_how_long_sources_are_kept_and_what_to_run()
    {
        var e = RedeployTargets.SourceGone(History[3] with { Source = "git push main" }, Shop, 10);
        e.StatusCode.Should().Be(409);
        e.Message.Should().Be("The source of deployment #1 (d-1, git push main) is no longer kept: a source is kept with its build, and the platform " +
            "keeps the builds of the last 10 deployments that went live (slipway server --keep-builds). Deploy the source again instead: " +
            "slipway deploy DIR --app shop, or push a new commit.");
    }
}
