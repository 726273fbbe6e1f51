using Slipway.Api;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Databases;
using Npgsql;
using Slipway.Tests.Support;

namespace Slipway.Tests.Databases;

[Collection("platform-3")]
public sealed class BranchingTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestPlatform Platform => fixture.Platform;

    [Fact]
    public async Task A_branch_copies_the_source_without_disturbing_its_connections_and_is_independent_of_it()
    {
        (await Platform.DeployAsync(DbApp.Create(), "twig")).ExitCode.Should().Be(0);
        (await fixture.GetOkAsync("twig", "/write?v=a")).Should().Be("ok");
        (await fixture.GetOkAsync("twig", "/write?v=b")).Should().Be("ok");

        // A live connection to production, mid-transaction, through the branch.
        var url = new Uri((await Platform.CliAsync("db", "url", "--app", "twig")).Out.Trim());
        await using var live = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = url.Host, Port = url.Port, Username = url.UserInfo.Split(':')[0], Password = url.UserInfo.Split(':')[1],
            Database = url.AbsolutePath.Trim('/'), Pooling = false,
        }.ConnectionString);
        await live.OpenAsync();
        await using var tx = await live.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("insert into items(v) values ('intx')", live, tx))
        {
            await insert.ExecuteNonQueryAsync();
        }

        var branch = await Platform.CliAsync("db", "branch", "--app", "twig", "--from", "production", "--env", "staging", "--json");
        branch.ExitCode.Should().Be(0, branch.ToString());
        var outcome = JsonDocument.Parse(branch.Out).RootElement;
        outcome.GetProperty("created").GetBoolean().Should().BeTrue();
        outcome.GetProperty("bytes").GetInt64().Should().BeGreaterThan(0);

        await tx.CommitAsync(); // the source's connection and its open transaction were untouched
        (await fixture.GetOkAsync("twig", "/read")).Should().Be("a,b,intx");

        var staging = await Platform.DeployAsync(DbApp.Create(), "twig", "--env", "staging");
        staging.ExitCode.Should().Be(0, staging.ToString());
        staging.Out.Should().NotContain("creating postgres database", "the branch is the environment's database");
        (await fixture.GetOkAsync("twig-staging", "/read")).Should().Be("a,b", "the branch holds what was committed when it was taken");

        (await fixture.GetOkAsync("twig-staging", "/write?v=staged")).Should().Be("ok");
        (await fixture.GetOkAsync("twig", "/write?v=prod")).Should().Be("ok");
        (await fixture.GetOkAsync("twig", "/read")).Should().Be("a,b,intx,prod");
        (await fixture.GetOkAsync("twig-staging", "/read")).Should().Be("a,b,staged");

        // Branching again refreshes the live staging environment in place; its URL stays.
        var stagingUrl = (await Platform.CliAsync("db", "url", "--app", "twig", "--env", "staging")).Out.Trim();
        var again = await Platform.CliAsync("db", "branch", "--app", "twig", "--from", "production", "--env", "staging");
        again.ExitCode.Should().Be(0, again.ToString());
        again.Out.Should().Contain("Branched production's main into app_twig_staging_main");
        (await DatabaseFixture.EventuallyAsync(async () =>
        {
            using var response = await Platform.GetAsync("twig-staging", "/read");
            return await response.Content.ReadAsStringAsync() == "a,b,intx,prod";
        }, TimeSpan.FromSeconds(10))).Should().BeTrue();
        (await Platform.CliAsync("db", "url", "--app", "twig", "--env", "staging")).Out.Trim().Should().Be(stagingUrl);

        // Dropping the environment drops its branch, and only it.
        (await Platform.CliAsync("destroy", "--app", "twig", "--env", "staging", "--yes")).ExitCode.Should().Be(0);
        var cluster = await fixture.Cluster.EnsureRunningAsync(CancellationToken.None);
        await using var admin = await cluster.OpenAsync(null, CancellationToken.None);
        await using var names = new NpgsqlCommand("select string_agg(datname, ',' order by datname) from pg_database where datname like 'app_twig%'", admin);
        (await names.ExecuteScalarAsync()).Should().Be("app_twig_main");
        (await fixture.GetOkAsync("twig", "/read")).Should().Be("a,b,intx,prod");
    }

    [Fact]
    public async Task A_branch_or_restore_stopped_half_way_leaves_no_copy_behind()
    {
        (await Platform.CliAsync("db", "create", "--create", "--app", "halt")).ExitCode.Should().Be(0);
        (await Platform.CliAsync("db", "psql", "--app", "halt", "-c", "create table t as select g, md5(g::text) h from generate_series(1, 300000) g")).ExitCode.Should().Be(0);
        var cluster = await fixture.Cluster.EnsureRunningAsync(CancellationToken.None);
        await using var admin = await cluster.OpenAsync(null, CancellationToken.None);

        async Task<long> Count(string like)
        {
            await using var count = new NpgsqlCommand($"select count(*) from pg_database where datname like '{like}'", admin);
            return (long)(await count.ExecuteScalarAsync())!;
        }

        async Task StopWhenCopyingAsync(Func<CancellationToken, Task> operation, string like)
        {
            using var cts = new CancellationTokenSource();
            var running = operation(cts.Token);
            (await DatabaseFixture.EventuallyAsync(async () => running.IsCompleted || await Count(like) > 0, TimeSpan.FromSeconds(30))).Should().BeTrue();
            running.IsCompleted.Should().BeFalse("the copy is still loading when it is stopped");
            await cts.CancelAsync();
            var stop = async () => await running;
            await stop.Should().ThrowAsync<OperationCanceledException>();
        }

        // The client of `db branch` hangs up mid-copy (Ctrl-C aborts the request).
        var branching = Platform.Services.GetRequiredService<Branching>();
        await StopWhenCopyingAsync(token => branching.BranchAsync("halt", "production", "staging", "main", schemaOnly: false, OperationProgress.None, token), "slipway\\_tmp\\_branch%");
        (await Count("slipway\\_tmp\\_%")).Should().Be(0, "the half-made copy is dropped at once, not at the next platform start");

        // The same for a restore into a new database: neither the database nor its role stay.
        var backup = await Platform.Services.GetRequiredService<DatabaseBackup>().TakeAsync(
            Platform.Services.GetRequiredService<DatabaseStore>().Find("halt", "main")!, BackupKind.Manual, OperationProgress.None, CancellationToken.None);
        backup.Status.Should().Be(BackupStatus.Verified);
        var restore = Platform.Services.GetRequiredService<DatabaseRestore>();
        await StopWhenCopyingAsync(token => restore.RestoreAsync(backup.Id, "halt_copy", OperationProgress.None, token), "halt\\_copy");
        (await Count("halt\\_copy")).Should().Be(0);
        await using var role = new NpgsqlCommand("select count(*) from pg_roles where rolname = 'halt_copy'", admin);
        (await role.ExecuteScalarAsync()).Should().Be(0L, "the name can be used again");
    }

    [Fact]
    public async Task A_branch_streams_its_steps_while_it_works()
    {
        (await Platform.CliAsync("db", "create", "--create", "--app", "flow")).ExitCode.Should().Be(0);
        (await Platform.CliAsync("db", "psql", "--app", "flow", "-c", "create table t as select g, md5(g::text) h from generate_series(1, 300000) g")).ExitCode.Should().Be(0);
        var cluster = await fixture.Cluster.EnsureRunningAsync(CancellationToken.None);
        await using var admin = await cluster.OpenAsync(null, CancellationToken.None);

        using var api = new Slipway.Cli.ApiClient(Platform.DataDir, "staging");
        var steps = new List<string>();
        bool? copyingWhileReported = null;
        JsonElement? result = null;
        await foreach (var line in api.PostLinesAsync("v1/apps/flow/databases/main/branch?progress=1", new BranchBody("production", "main"), CancellationToken.None))
        {
            if (line.TryGetProperty("step", out var step))
            {
                steps.Add(step.GetString()!);
                if (copyingWhileReported is null && step.GetString()!.StartsWith("copying", StringComparison.Ordinal))
                {
                    await using var count = new NpgsqlCommand("select count(*) from pg_database where datname like 'slipway\\_tmp\\_branch%'", admin);
                    copyingWhileReported = (long)(await count.ExecuteScalarAsync())! > 0;
                }
            }
            else
            {
                result = line;
            }
        }
        copyingWhileReported.Should().BeTrue("the step arrives while the copy is being made, not with the outcome: " + string.Join(" | ", steps));
        steps.Should().Contain(s => s.Contains("switching app_flow_staging_main", StringComparison.Ordinal));
        result!.Value.GetProperty("result").GetProperty("database").GetString().Should().Be("app_flow_staging_main");

        // The CLI prints the steps, then the outcome; a user error before the first step is an ordinary error.
        var again = await Platform.CliAsync("db", "branch", "--app", "flow", "--from", "production", "--env", "staging");
        again.ExitCode.Should().Be(0, again.ToString());
        again.Out.Should().MatchRegex("(?s)copying app_flow_main.*switching app_flow_staging_main.*Branched production's main");
        var wrong = await Platform.CliAsync("db", "branch", "--app", "flow", "--from", "nowhere", "--env", "staging");
        wrong.ExitCode.Should().Be(1);
        wrong.Err.Should().Contain("has no database main");
    }

    [Fact]
    public async Task Branching_into_production_keeps_the_data_it_replaces_in_a_verified_safety_backup()
    {
        (await Platform.CliAsync("db", "create", "--create", "--app", "trunk")).ExitCode.Should().Be(0);
        (await Platform.CliAsync("db", "psql", "--app", "trunk", "-c", "create table t(v text); insert into t select 'prod' from generate_series(1, 7)")).ExitCode.Should().Be(0);
        (await Platform.CliAsync("db", "create", "--create", "--app", "trunk", "--env", "staging")).ExitCode.Should().Be(0);
        (await Platform.CliAsync("db", "psql", "--app", "trunk", "--env", "staging", "-c", "create table t(v text); insert into t values ('stage')")).ExitCode.Should().Be(0);

        // --env left out: the target is production, whose data would otherwise be gone for good.
        var branch = await Platform.CliAsync("db", "branch", "--app", "trunk", "--from", "staging", "--json");
        branch.ExitCode.Should().Be(0, branch.ToString());
        var safety = JsonDocument.Parse(branch.Out).RootElement.GetProperty("safetyBackup").GetString();
        safety.Should().NotBeNull();
        (await Platform.CliAsync("db", "psql", "--app", "trunk", "-c", "select string_agg(v, ',') from t")).Out.Trim().Should().Be("stage");
        var row = JsonDocument.Parse((await Platform.CliAsync("db", "backups", "--app", "trunk", "--json")).Out).RootElement.EnumerateArray()
            .Single(b => b.GetProperty("id").GetString() == safety);
        row.GetProperty("kind").GetString().Should().Be("safety");
        row.GetProperty("status").GetString().Should().Be("verified");
        row.GetProperty("rows").GetInt64().Should().Be(7, "the safety backup holds production's data as it was");
    }
}
