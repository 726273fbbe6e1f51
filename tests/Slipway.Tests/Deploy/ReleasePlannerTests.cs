using Slipway.Config;
using Slipway.Deploy;
using Slipway.Manifests;
using Slipway.State;

namespace Slipway.Tests.Deploy;

/// <summary>The planner is a pure function: each kind of deployment gives exactly this release.</summary>
public sealed class ReleasePlannerTests
{
    private static readonly AppSpec Spec = new()
    {
        Services = [new ServiceSpec { Name = "web" }, new ServiceSpec { Name = "jobs", Type = ServiceType.Worker }],
        Variables = [new VariableSpec { Name = "API_KEY" }, new VariableSpec { Name = "BAKED", Build = true }],
    };

    private static RecordedRelease Recorded(IReadOnlyDictionary<string, string> vars, bool sourceKept = true) => new(
        new DeploymentRecord("d_old", "shop", 3, DeploymentKind.Deploy, DeploymentStatus.Live, null, null, "/src/shop", "abc123", "b_1",
            "{}", "sealed", null, UtcTime.Parse("2026-12-01T00:00:00Z"), null, null, UtcTime.Parse("2026-12-01T00:01:00Z")),
        new BuildRecord("b_1", "shop", "/data/builds/shop/b_1", "/src/shop", "abc123", UtcTime.Parse("2026-12-01T00:00:00Z"), 0),
        "/data/builds/shop/b_1", sourceKept, Spec, new ConfigSnapshot(vars, ["API_KEY"]));

    private static Dictionary<string, string> Vars(params (string, string)[] pairs) => pairs.ToDictionary(p => p.Item1, p => p.Item2);

    [Fact]
    public void Rollback_runs_the_targets_build_and_recorded_config_and_reuses_its_warm_instances()
    {
        var target = Recorded(Vars(("API_KEY", "k1")));
        var run = ReleasePlanner.Rollback("d_new", target).Should().BeOfType<ReleasePlan.Run>().Subject;
        // Records compare by value: exactly this release, nothing more.
        run.Release.Should().Be(new Release("shop", "d_new", "/data/builds/shop/b_1", Spec, target.Config.Vars)
        {
            WarmFrom = "d_old", RunsReleaseCommand = false, KeepReplacedWarm = true, NewHosts = null,
        });
        run.From.Should().Be(target.Deployment);
        run.NewConfig.Should().BeNull("a rollback runs the config it recorded");
    }

    [Fact]
    public void Restart_runs_the_live_release_again_and_keeps_nothing_warm()
    {
        var run = (ReleasePlan.Run)ReleasePlanner.Restart("d_new", Recorded(Vars(("API_KEY", "k1"))));
        run.Release.KeepReplacedWarm.Should().BeFalse();
        run.Release.WarmFrom.Should().BeNull();
        run.Release.RunsReleaseCommand.Should().BeFalse();
        run.Release.DeploymentId.Should().Be("d_new");
        run.NewConfig.Should().BeNull();
    }

    [Fact]
    public void Start_is_the_live_deployment_itself()
    {
        var release = ReleasePlanner.Start(Recorded(Vars(("API_KEY", "k1"))));
        release.DeploymentId.Should().Be("d_old");
        release.RunsReleaseCommand.Should().BeFalse();
    }

    [Fact]
    public void A_runtime_config_change_runs_the_live_build_with_the_new_config_and_no_release_command()
    {
        var next = new ConfigSnapshot(Vars(("API_KEY", "k2"), ("BAKED", "same")), ["API_KEY"]);
        var run = ReleasePlanner.ConfigChange("d_new", Recorded(Vars(("API_KEY", "k1"), ("BAKED", "same"))), next)
            .Should().BeOfType<ReleasePlan.Run>().Subject;
        run.Release.Config.Should().BeEquivalentTo(next.Vars);
        run.Release.BuildDir.Should().Be("/data/builds/shop/b_1");
        run.Release.RunsReleaseCommand.Should().BeFalse();
        run.NewConfig.Should().Be(next);
        run.Notes.Should().Equal("new config (2 variable(s)) on the build of d_old");
    }

    [Theory]
    [InlineData("BAKED")]        // declared "build": true
    [InlineData("VITE_API_URL")] // a browser prefix
    public void A_changed_build_time_variable_rebuilds_the_kept_source_with_the_checked_config(string name)
    {
        var live = Recorded(Vars(("API_KEY", "k1"), (name, "old")));
        var next = new ConfigSnapshot(Vars(("API_KEY", "k1"), (name, "new")), ["API_KEY"]);
        var rebuild = ReleasePlanner.ConfigChange("d_new", live, next).Should().BeOfType<ReleasePlan.Rebuild>().Subject;
        rebuild.From.Should().Be(live);
        rebuild.Config.Should().Be(next);
        rebuild.Reason.Should().Be($"{name} changed and the build uses it: rebuilding");
    }

    [Fact]
    public void Without_a_kept_source_a_build_time_change_restarts_and_says_how_to_rebuild()
    {
        var next = new ConfigSnapshot(Vars(("BAKED", "new")), []);
        var run = (ReleasePlan.Run)ReleasePlanner.ConfigChange("d_new", Recorded(Vars(("BAKED", "old")), sourceKept: false), next);
        run.Notes[0].Should().Be("BAKED changed but build b_1 predates kept sources: deploy the source again to rebuild");
    }

    [Fact]
    public void Promote_runs_the_build_in_the_target_environment_with_its_config_and_its_release_command()
    {
        var next = new ConfigSnapshot(Vars(("API_KEY", "prod")), ["API_KEY"]);
        var recorded = Recorded(Vars(("API_KEY", "staging")));
        var staging = recorded with { Deployment = recorded.Deployment with { App = "shop-staging" } };
        var run = (ReleasePlan.Run)ReleasePlanner.Promote("d_new", "shop", staging, next, "staging", "production");
        run.Release.App.Should().Be("shop", "the release runs in the target environment's row, not the source's");
        run.Release.RunsReleaseCommand.Should().BeTrue();
        run.Release.KeepReplacedWarm.Should().BeTrue();
        run.Release.WarmFrom.Should().BeNull();
        run.Release.NewHosts.Should().BeNull();
        run.Release.Config.Should().BeEquivalentTo(next.Vars);
        run.NewConfig.Should().Be(next);
        run.Notes.Should().Equal("promoting build b_1 of staging (d_old) to production, with production's config");
    }

    [Fact]
    public void Promote_with_a_different_baked_in_value_rebuilds_or_refuses_without_a_source()
    {
        var next = new ConfigSnapshot(Vars(("VITE_API_URL", "https://api.example.com")), []);
        var staging = Vars(("VITE_API_URL", "https://staging.example.com"));
        ReleasePlanner.Promote("d_new", "shop", Recorded(staging), next, "staging", "production").Should().BeOfType<ReleasePlan.Rebuild>()
            .Which.Reason.Should().Be("VITE_API_URL differ in production and are built into the bundle: building staging's source again for production");
        var refuse = () => ReleasePlanner.Promote("d_new", "shop", Recorded(staging, sourceKept: false), next, "staging", "production");
        refuse.Should().Throw<UserException>().WithMessage("*keeps no source to rebuild: deploy the source to production instead.");
    }

    [Fact]
    public void A_new_build_runs_its_release_command_and_brings_its_hostnames()
    {
        var config = new ConfigSnapshot(Vars(("API_KEY", "k")), ["API_KEY"]);
        var release = ReleasePlanner.Deploy("shop", "d_new", "/data/builds/shop/b_2", Spec, config, ["shop.example.com"]);
        release.Should().Be(new Release("shop", "d_new", "/data/builds/shop/b_2", Spec, config.Vars)
        {
            RunsReleaseCommand = true, NewHosts = release.NewHosts, KeepReplacedWarm = true, WarmFrom = null,
        });
        release.NewHosts.Should().Equal("shop.example.com");
    }

    [Fact]
    public void Build_time_changes_compare_values_of_build_variables_only()
    {
        var built = new ConfigSnapshot(Vars(("API_KEY", "a"), ("NEXT_PUBLIC_X", "1"), ("BAKED", "b")), []);
        var next = new ConfigSnapshot(Vars(("API_KEY", "changed"), ("NEXT_PUBLIC_X", "1"), ("REACT_APP_NEW", "n")), []);
        ReleasePlanner.BuildTimeChanges(Spec, built, next).Should().Equal("BAKED", "REACT_APP_NEW");
    }
}
