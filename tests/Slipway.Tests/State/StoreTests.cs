using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.State;

public sealed class StoreTests : IDisposable
{
    private readonly string _dir = TempDirs.Create("store");

    private string DatabasePath => Path.Combine(_dir, "slipway.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        TempDirs.Delete(_dir);
    }

    [Fact]
    public void Migrations_run_once_however_often_the_store_is_opened()
    {
        _ = new Store(DatabasePath, TimeProvider.System);
        var store = new Store(DatabasePath, TimeProvider.System);
        _ = new Store(DatabasePath, TimeProvider.System);

        var versions = Query<long>("select version from schema_version order by version");

        versions.Should().Equal(Enumerable.Range(1, Schema.Migrations.Length).Select(v => (long)v));
        store.EnsureApp("shop").Name.Should().Be("shop");
    }

    [Fact]
    public void Data_written_before_a_reopen_is_still_there()
    {
        var first = new Store(DatabasePath, TimeProvider.System);
        first.EnsureApp("shop");
        var deployment = first.CreateDeployment("shop", DeploymentKind.Deploy, "/src", null, null);

        var second = new Store(DatabasePath, TimeProvider.System);

        second.FindDeployment(deployment.Id).Should().Be(deployment);
        second.ListApps().Select(a => a.Name).Should().Equal("shop");
    }

    [Fact]
    public void A_database_from_a_newer_slipway_is_refused_with_what_to_do()
    {
        _ = new Store(DatabasePath, TimeProvider.System);
        Execute("insert into schema_version(version) values (999)");

        var act = () => new Store(DatabasePath, TimeProvider.System);

        act.Should().Throw<UserException>().WithMessage("*schema version 999*newer than this Slipway*");
    }

    [Fact]
    public void Deployments_are_numbered_per_app_from_one()
    {
        var store = NewStore();

        var shop = Enumerable.Range(0, 3).Select(_ => store.CreateDeployment("shop", DeploymentKind.Deploy, "/src", null, null).Seq).ToList();
        var blog = store.CreateDeployment("blog", DeploymentKind.Deploy, "/src", null, null).Seq;

        shop.Should().Equal(1, 2, 3);
        blog.Should().Be(1);
    }

    [Fact]
    public async Task Deployments_created_at_the_same_time_get_distinct_numbers()
    {
        var store = NewStore();

        var created = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(() =>
            store.CreateDeployment(i % 2 == 0 ? "shop" : "blog", DeploymentKind.Deploy, "/src", null, null))));

        created.Where(d => d.App == "shop").Select(d => d.Seq).Should().BeEquivalentTo(Enumerable.Range(1, 12).Select(i => (long)i));
        created.Where(d => d.App == "blog").Select(d => d.Seq).Should().BeEquivalentTo(Enumerable.Range(1, 12).Select(i => (long)i));
    }

    [Fact]
    public void A_new_deployment_is_queued_with_what_it_was_given()
    {
        var store = NewStore();

        var d = store.CreateDeployment("shop", DeploymentKind.Rollback, "/src", "b-1", "d-old", "{\"spec\":1}", "{}", new CommitInfo("abc123"));

        d.Id.Should().StartWith("d-");
        (d.App, d.Kind, d.Status, d.Source, d.BuildId, d.RollbackOf, d.SpecJson, d.CommitSha)
            .Should().Be(("shop", DeploymentKind.Rollback, DeploymentStatus.Queued, "/src", "b-1", "d-old", "{\"spec\":1}", "abc123"));
        d.StartedAt.Should().BeNull();
        d.FinishedAt.Should().BeNull();
    }

    [Fact]
    public void Make_live_retires_the_previous_live_deployment_and_points_the_app_at_the_new_one()
    {
        var store = NewStore();
        store.EnsureApp("shop");
        var first = store.CreateDeployment("shop", DeploymentKind.Deploy, "/src", null, null);
        var second = store.CreateDeployment("shop", DeploymentKind.Deploy, "/src", null, null);
        var other = store.CreateDeployment("blog", DeploymentKind.Deploy, "/src", null, null);
        store.EnsureApp("blog");
        store.MakeLive("blog", other.Id);
        store.MakeLive("shop", first.Id);
        store.SetDesiredState("shop", "stopped");

        store.MakeLive("shop", second.Id);

        store.FindDeployment(first.Id)!.Status.Should().Be(DeploymentStatus.Retired);
        var live = store.FindDeployment(second.Id)!;
        live.Status.Should().Be(DeploymentStatus.Live);
        live.LiveAt.Should().NotBeNull();
        live.FinishedAt.Should().Be(live.LiveAt);
        var app = store.FindApp("shop")!;
        app.LiveDeploymentId.Should().Be(second.Id);
        app.DesiredState.Should().Be("running");
        store.FindDeployment(other.Id)!.Status.Should().Be(DeploymentStatus.Live, "another app's live deployment is untouched");
        store.ListDeployments("shop").Count(d => d.Status == DeploymentStatus.Live).Should().Be(1);
    }

    [Fact]
    public void Make_live_again_on_the_live_deployment_keeps_it_live()
    {
        var store = NewStore();
        store.EnsureApp("shop");
        var d = store.CreateDeployment("shop", DeploymentKind.Deploy, "/src", null, null);
        store.MakeLive("shop", d.Id);

        store.MakeLive("shop", d.Id);

        store.FindDeployment(d.Id)!.Status.Should().Be(DeploymentStatus.Live);
    }

    [Fact]
    public void Fail_interrupted_deployments_fails_only_unfinished_ones_and_records_their_step()
    {
        var store = NewStore();
        store.EnsureApp("shop");
        var live = store.CreateDeployment("shop", DeploymentKind.Deploy, "/src", null, null);
        store.MakeLive("shop", live.Id);
        var failed = store.CreateDeployment("shop", DeploymentKind.Deploy, "/src", null, null);
        store.FailDeployment(failed.Id, DeploymentStatus.Failed, "building", "npm ci failed");
        var cancelled = store.CreateDeployment("shop", DeploymentKind.Deploy, "/src", null, null);
        store.FailDeployment(cancelled.Id, DeploymentStatus.Cancelled, "queued", "cancelled by user");
        var building = store.CreateDeployment("shop", DeploymentKind.Deploy, "/src", null, null);
        store.SetDeploymentStatus(building.Id, DeploymentStatus.Building);
        var checking = store.CreateDeployment("shop", DeploymentKind.Deploy, "/src", null, null);
        store.SetDeploymentStatus(checking.Id, DeploymentStatus.HealthChecking);
        var queued = store.CreateDeployment("shop", DeploymentKind.Deploy, "/src", null, null);

        var interrupted = store.FailInterruptedDeployments();

        interrupted.Should().BeEquivalentTo(building.Id, checking.Id, queued.Id);
        foreach (var (id, step) in new[] { (building.Id, "building"), (checking.Id, "health-checking"), (queued.Id, "queued") })
        {
            var d = store.FindDeployment(id)!;
            d.Status.Should().Be(DeploymentStatus.Failed);
            d.Step.Should().Be(step);
            d.Error.Should().Contain($"while this deployment was {step}").And.Contain("deploy again");
            d.FinishedAt.Should().NotBeNull();
        }
        store.FindDeployment(live.Id)!.Status.Should().Be(DeploymentStatus.Live);
        store.FindDeployment(failed.Id)!.Should().Match<DeploymentRecord>(d => d.Step == "building" && d.Error == "npm ci failed");
        store.FindDeployment(cancelled.Id)!.Status.Should().Be(DeploymentStatus.Cancelled);
        store.FailInterruptedDeployments().Should().BeEmpty("a second recovery finds nothing left to fail");
    }

    [Theory]
    [InlineData("live")]
    [InlineData("retired")]
    [InlineData("failed")]
    [InlineData("cancelled")]
    public void A_terminal_deployment_cannot_be_moved_back(string spelled)
    {
        var store = NewStore();
        store.EnsureApp("shop");
        var terminal = JsonSpellings.Parse<DeploymentStatus>(spelled);
        var d = Reach(store, terminal);

        store.SetDeploymentStatus(d, DeploymentStatus.Building);
        store.FailDeployment(d, DeploymentStatus.Failed, "starting", "late failure");

        var after = store.FindDeployment(d)!;
        after.Status.Should().Be(terminal);
        after.Error.Should().NotBe("late failure");
    }

    [Fact]
    public void Set_deployment_status_moves_a_deployment_forward_and_stamps_its_start_once()
    {
        var store = NewStore();
        var d = store.CreateDeployment("shop", DeploymentKind.Deploy, "/src", null, null);

        store.SetDeploymentStatus(d.Id, DeploymentStatus.Building);
        var started = store.FindDeployment(d.Id)!.StartedAt;
        store.SetDeploymentStatus(d.Id, DeploymentStatus.Starting);

        var after = store.FindDeployment(d.Id)!;
        after.Status.Should().Be(DeploymentStatus.Starting);
        started.Should().NotBeNull();
        after.StartedAt.Should().Be(started);
    }

    [Fact]
    public void Times_given_as_DateTimeOffset_are_stored_as_sortable_utc_text()
    {
        var store = NewStore();
        var at = new DateTimeOffset(2026, 12, 3, 7, 8, 9, 123, TimeSpan.FromHours(2));

        store.InsertBuild(new BuildRecord("b-1", "shop", "/b", "/src", null, at, 0));

        Query<string>("select created_at from builds").Should().Equal("2026-12-03T05:08:09.123Z");
        store.FindBuild("b-1")!.CreatedAt.Should().Be(at);
    }

    [Fact]
    public void Statuses_and_kinds_are_stored_as_the_api_spells_them()
    {
        var store = NewStore();
        var d = store.CreateDeployment("shop", DeploymentKind.Promote, "/src", null, null);

        store.SetDeploymentStatus(d.Id, DeploymentStatus.HealthChecking);

        Query<string>("select kind || ' ' || status from deployments").Should().Equal("promote health-checking");
        var dto = System.Text.Json.JsonSerializer.Serialize(Api.AppViews.Deployment(store.FindDeployment(d.Id)!), JsonSpellings.Web());
        dto.Should().Contain("\"kind\":\"promote\"").And.Contain("\"status\":\"health-checking\"")
            .And.MatchRegex("\"createdAt\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\"");
    }

    [Fact]
    public void Delete_app_removes_everything_of_that_app_only()
    {
        var store = NewStore();
        store.EnsureApp("shop");
        store.EnsureApp("blog");
        store.CreateDeployment("shop", DeploymentKind.Deploy, "/src", null, null);
        var blog = store.CreateDeployment("blog", DeploymentKind.Deploy, "/src", null, null);
        store.AddEvent("shop", null, "deploy", "x");

        store.DeleteApp("shop");

        store.FindApp("shop").Should().BeNull();
        store.ListDeployments("shop").Should().BeEmpty();
        store.ListEvents("shop").Should().BeEmpty();
        store.FindDeployment(blog.Id).Should().NotBeNull();
        store.CreateDeployment("shop", DeploymentKind.Deploy, "/src", null, null).Seq.Should().Be(1);
    }

    private string Reach(Store store, DeploymentStatus status)
    {
        var d = store.CreateDeployment("shop", DeploymentKind.Deploy, "/src", null, null).Id;
        switch (status)
        {
            case DeploymentStatus.Live:
                store.MakeLive("shop", d);
                break;
            case DeploymentStatus.Retired:
                store.MakeLive("shop", d);
                store.MakeLive("shop", store.CreateDeployment("shop", DeploymentKind.Deploy, "/src", null, null).Id);
                break;
            default:
                store.FailDeployment(d, status, "building", "first error");
                break;
        }
        store.FindDeployment(d)!.Status.Should().Be(status);
        return d;
    }

    private Store NewStore() => new(DatabasePath, TimeProvider.System);

    private List<T> Query<T>(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        return connection.Query<T>(sql).AsList();
    }

    private void Execute(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Execute(sql);
    }
}
