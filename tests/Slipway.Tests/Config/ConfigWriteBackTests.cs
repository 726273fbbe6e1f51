using Slipway.Config;
using Slipway.Manifests;

namespace Slipway.Tests.Config;

public sealed class ConfigWriteBackTests
{
    private static readonly VariableSpec[] Declared = [new() { Name = "MODE", Default = "calm", Required = false }];

    private static Dictionary<string, ConfigWriteBack.Stored> Stored(params (string Name, string Value, bool Secret)[] vars) =>
        vars.ToDictionary(v => v.Name, v => new ConfigWriteBack.Stored(v.Value, v.Secret), StringComparer.Ordinal);

    [Fact]
    public void The_environments_own_vars_become_the_releases_and_the_changes_are_listed_by_name()
    {
        var release = new ConfigSnapshot(new Dictionary<string, string> { ["API_URL"] = "https://old", ["OLD"] = "x", ["TOKEN"] = "t1", ["MODE"] = "calm" }, ["TOKEN"])
        {
            Defaults = ["MODE"],
            Shared = [],
        };
        var own = Stored(("API_URL", "https://new", false), ("NEW", "y", false), ("TOKEN", "t1", false), ("MODE", "wild", false));

        var plan = ConfigWriteBack.Plan(release, Declared, own, Stored());

        plan.Set.Should().Equal(("API_URL", "https://old", false), ("OLD", "x", false), ("TOKEN", "t1", true));
        plan.Unset.Should().Equal("MODE", "NEW");
        plan.Changes.Should().Equal("~API_URL", "-MODE", "-NEW", "+OLD", "~TOKEN");
        plan.Warnings.Should().BeEmpty();
        string.Join(" ", plan.Changes).Should().NotContain("https://", "names only, never values");
    }

    [Fact]
    public void Shared_vars_are_never_written_and_a_difference_in_them_is_a_warning()
    {
        var release = new ConfigSnapshot(new Dictionary<string, string> { ["GREETING"] = "hello", ["GONE"] = "g" }, []) { Defaults = [], Shared = ["GREETING", "GONE"] };
        var shared = Stored(("GREETING", "bye", false), ("ADDED", "a", false));
        var own = Stored(("GREETING", "own override", false));

        var plan = ConfigWriteBack.Plan(release, [], own, shared);

        plan.Set.Should().BeEmpty();
        plan.Unset.Should().Equal("GREETING");
        plan.Changes.Should().Equal("~GREETING");
        plan.Warnings.Should().HaveCount(3);
        plan.Warnings.Should().Contain(w => w.StartsWith("shared ADDED is set, but the rolled-back release runs without it", StringComparison.Ordinal))
            .And.Contain(w => w.StartsWith("GONE was a shared variable", StringComparison.Ordinal))
            .And.Contain(w => w.StartsWith("shared GREETING differs", StringComparison.Ordinal));
    }

    [Fact]
    public void A_snapshot_from_before_origins_were_recorded_keeps_defaults_and_shared_vars_out()
    {
        var release = new ConfigSnapshot(new Dictionary<string, string> { ["MODE"] = "calm", ["GREETING"] = "hello", ["A"] = "1" }, []);
        var plan = ConfigWriteBack.Plan(release, Declared, Stored(), Stored(("GREETING", "hello", false)));

        plan.Set.Should().Equal(("A", "1", false));
        plan.Unset.Should().BeEmpty();
        plan.Changes.Should().Equal("+A");
        plan.Warnings.Should().BeEmpty();
    }

    [Fact]
    public void A_snapshot_records_where_its_values_came_from_and_reads_back_what_it_recorded()
    {
        var sealedSnapshot = ConfigSchema.WithDefaults(Declared, new ConfigSnapshot(new Dictionary<string, string> { ["S"] = "v" }, []) { Defaults = [], Shared = ["S"] });
        var read = ConfigSnapshot.FromJson(sealedSnapshot.ToJson());
        read.Defaults.Should().Equal("MODE");
        read.Shared.Should().Equal("S");
        ConfigSnapshot.FromJson("""{"vars":{"A":"1"},"secrets":[]}""").Defaults.Should().BeNull("older snapshots did not record it");
    }

    [Fact]
    public void A_name_changed_since_the_replaced_release_went_live_is_kept_and_warned_about_by_name()
    {
        var release = new ConfigSnapshot(new Dictionary<string, string> { ["A"] = "old", ["B"] = "old", ["C"] = "old", ["D"] = "old" }, []) { Defaults = [], Shared = [] };
        var replaced = new ConfigSnapshot(new Dictionary<string, string> { ["A"] = "live", ["B"] = "live", ["C"] = "live", ["D"] = "live" }, []) { Defaults = [], Shared = [] };
        // While the rollback waited: B set, C unset, E added; A and D are as the replaced release ran them.
        var own = Stored(("A", "live", false), ("B", "typed-while-waiting", false), ("D", "live", false), ("E", "new-while-waiting", false));

        var plan = ConfigWriteBack.Plan(release, [], own, Stored(), replaced);

        plan.Set.Should().Equal(("A", "old", false), ("D", "old", false));
        plan.Unset.Should().BeEmpty("E was added after the replaced release went live");
        plan.Changes.Should().Equal("~A", "~D");
        plan.Warnings.Should().HaveCount(3).And.OnlyContain(w => w.Contains("was changed after the replaced release went live", StringComparison.Ordinal));
        plan.Warnings.Select(w => w.Split(' ')[0]).Should().Equal("B", "C", "E");
        string.Join("\n", plan.Warnings).Should().NotContain("typed-while-waiting").And.NotContain("new-while-waiting", "names only");
    }

    [Fact]
    public void A_databases_url_variable_is_never_written_back_and_a_difference_is_a_warning()
    {
        var release = new ConfigSnapshot(new Dictionary<string, string> { ["DATABASE_URL"] = "postgres://old", ["A"] = "1" }, ["DATABASE_URL"]) { Defaults = [], Shared = [] };
        var replaced = new ConfigSnapshot(new Dictionary<string, string> { ["MY_DB"] = "postgres://new", ["A"] = "2" }, ["MY_DB"]) { Defaults = [], Shared = [] };
        var own = Stored(("MY_DB", "postgres://new", true), ("A", "2", false));

        var plan = ConfigWriteBack.Plan(release, [], own, Stored(), replaced, ["MY_DB", "DATABASE_URL"]);

        plan.Set.Should().Equal(("A", "1", false));
        plan.Unset.Should().BeEmpty("MY_DB is the URL of the environment's database");
        plan.Changes.Should().Equal("~A");
        plan.Warnings.Should().HaveCount(2).And.OnlyContain(w => w.Contains("belongs to a database of this environment", StringComparison.Ordinal));
        string.Join("\n", plan.Warnings).Should().NotContain("postgres://");
    }

    [Fact]
    public void A_write_back_never_lowers_the_secret_flag()
    {
        var release = new ConfigSnapshot(new Dictionary<string, string> { ["TOKEN"] = "old", ["KEY"] = "same" }, []) { Defaults = [], Shared = [] };
        var own = Stored(("TOKEN", "new", true), ("KEY", "same", true));

        var plan = ConfigWriteBack.Plan(release, [], own, Stored());

        plan.Set.Should().Equal(("TOKEN", "old", true));
        plan.Changes.Should().Equal("~TOKEN");
    }
}
