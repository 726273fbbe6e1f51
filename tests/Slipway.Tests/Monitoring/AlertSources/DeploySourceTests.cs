using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Sources;
using Slipway.State;

namespace Slipway.Tests.Monitoring.AlertSources;

/// <summary>"deploy-failed": an environment's most recent finished deployment failed within 24 h.</summary>
public sealed class DeploySourceTests : IDisposable
{
    private readonly SourceHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void A_failed_deployment_fires_until_a_later_one_goes_live()
    {
        var staging = AppRef.Of("shop", "staging");
        _h.Live(staging);
        _h.Live(AppRef.Of("blog"));
        _h.Store.EnsureApp("empty"); // no deployment at all: nothing, no error
        var source = new DeploySource(_h.Store);
        source.Rules.Should().ContainSingle().Which.Name.Should().Be("deploy-failed");
        _h.Evaluate(source).Should().BeEmpty("every environment's latest deployment is live");

        var failed = _h.Store.CreateDeployment("shop-staging", DeploymentKind.Deploy, "/src", null, null);
        _h.Store.FailDeployment(failed.Id, DeploymentStatus.Failed, "health-checking", "web replica 0 exited with code 1\n  at server.js:3");

        var signal = _h.Evaluate(source).Should().ContainSingle().Subject;
        signal.Should().BeEquivalentTo(new
        {
            Rule = "deploy-failed", Subject = $"deploy:{failed.Id}", App = "shop-staging", Severity = AlertSeverity.Critical,
            Title = $"shop (staging): deploy {failed.Id} failed",
        });
        signal.Detail.Should().Contain("failed at health-checking").And.Contain("web replica 0 exited with code 1.")
            .And.NotContain("server.js", "only the error's first line")
            .And.Contain($"slipway logs --deployment {failed.Id} --app shop --env staging");

        // A cancelled deployment after it neither fails nor ends the alert.
        var cancelled = _h.Store.CreateDeployment("shop-staging", DeploymentKind.Deploy, "/src", null, null);
        _h.Store.FailDeployment(cancelled.Id, DeploymentStatus.Cancelled, "building", "cancelled");
        _h.Evaluate(source).Should().ContainSingle().Which.Title.Should().Contain(failed.Id);

        // A rollback that fails is the alert now (same subject: the same alert, a new title).
        var rollback = _h.Store.CreateDeployment("shop-staging", DeploymentKind.Rollback, "/src", null, null);
        _h.Store.FailDeployment(rollback.Id, DeploymentStatus.Failed, "starting", "no port");
        _h.Evaluate(source).Should().ContainSingle().Which.Title.Should().Be($"shop (staging): rollback {rollback.Id} failed");

        var fixedOne = _h.Store.CreateDeployment("shop-staging", DeploymentKind.Deploy, "/src", null, null);
        _h.Store.MakeLive("shop-staging", fixedOne.Id);
        _h.Evaluate(source).Should().BeEmpty("a later deployment went live");
    }

    [Fact]
    public void A_failure_is_forgotten_after_24_hours_and_a_rule_turned_off_says_nothing()
    {
        _h.Store.EnsureApp("shop");
        var failed = _h.Store.CreateDeployment("shop", DeploymentKind.Config, "/src", null, null);
        _h.Store.FailDeployment(failed.Id, DeploymentStatus.Failed, "health-checking", "boom");
        var source = new DeploySource(_h.Store);
        _h.Evaluate(source).Should().ContainSingle().Which.Title.Should().Be($"shop: config {failed.Id} failed");

        _h.Set("deploy-failed", "shop", new AlertRuleSettings(Enabled: false));
        _h.Evaluate(source).Should().BeEmpty();
        _h.Clear();

        _h.Clock.Advance(TimeSpan.FromHours(23));
        _h.Evaluate(source).Should().ContainSingle();
        _h.Clock.Advance(TimeSpan.FromHours(1.5));
        _h.Evaluate(source).Should().BeEmpty();
    }
}
