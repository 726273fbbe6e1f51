using System.Text.Json;
using Npgsql;
using Slipway.Tests.Support;

namespace Slipway.Tests.Databases;

[Collection("platform")]
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
}
