using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Slipway.Git;
using Slipway.Tests.Builds;
using Slipway.Tests.Databases;
using Slipway.Tests.Support;

namespace Slipway.Tests.Git;

/// <summary>A preview's own database: branched from staging's, schema only by default (the table staging made by hand is
/// there, staging's rows are not), and dropped when the pull request closes.</summary>
[Collection("platform-2")]
public sealed class GitPreviewDatabaseTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestPlatform Platform => fixture.Platform;

    [Fact]
    public async Task A_preview_gets_a_schema_only_branch_of_stagings_database_and_it_goes_with_the_pull_request()
    {
        (await Platform.DeployAsync(DbApp.Create(), "pv", "--env", "staging")).ExitCode.Should().Be(0);
        (await fixture.GetOkAsync("pv-staging", "/write?v=staged")).Should().Be("ok");
        await using (var staging = await OpenAsync("--env", "staging"))
        {
            await using var marker = new NpgsqlCommand("create table marker(id int)", staging);
            await marker.ExecuteNonQueryAsync();
        }

        await using var forge = await FakeForge.StartAsync("db-token");
        var work = GitRepo.Init(TempDirs.Create("preview-db"));
        foreach (var file in Directory.GetFiles(DbApp.Create()))
        {
            File.Copy(file, Path.Combine(work.Dir, Path.GetFileName(file)));
        }
        var head = work.Commit("Preview with a database");
        work.Git("push", "--quiet", forge.RepoDir, "HEAD:feature");
        (await Platform.CliAsync("git", "create", "pv")).ExitCode.Should().Be(0);
        var connect = await forge.ConnectAsync(Platform, "pv", "db-token");
        var secret = JsonDocument.Parse(connect.Out).RootElement.GetProperty("secret").GetString()!;
        (await Platform.CliAsync("git", "previews", "pv", "--on")).Out.Should().Contain("databases branched from staging, schema only");
        var previews = Platform.Services.GetRequiredService<Previews>();

        var opened = await GitPreviewTests.DeliverAsync(Platform, secret, GitPreviewTests.PullRequest("opened", 3, head), "db-1", "pv");
        opened.Body.Should().Contain("to the preview pv (pr-3)");
        await GitPreviewTests.SettledAsync(Platform, previews, "pv");
        var listed = JsonDocument.Parse((await Platform.CliAsync("previews", "ls", "--app", "pv", "--json")).Out).RootElement[0];
        listed.GetProperty("status").GetString().Should().Be("live", listed.ToString());
        listed.GetProperty("note").GetString().Should().Be("databases main branched from staging (schema only)");
        (await fixture.GetOkAsync("pv-pr-3", "/read")).Should().Be("", "staging's rows stay in staging");
        var previewUrl = (await Platform.CliAsync("db", "url", "--app", "pv", "--env", "pr-3")).Out.Trim();
        await using (var preview = await OpenAsync("--env", "pr-3"))
        {
            await using var tables = new NpgsqlCommand("select count(*) from pg_tables where tablename = 'marker'", preview);
            ((long)(await tables.ExecuteScalarAsync())!).Should().Be(1, "the schema came from staging's database");
        }
        (await fixture.GetOkAsync("pv-pr-3", "/write?v=preview")).Should().Be("ok");
        (await fixture.GetOkAsync("pv-staging", "/read")).Should().Be("staged", "the preview writes to its own database");

        var closed = await GitPreviewTests.DeliverAsync(Platform, secret, GitPreviewTests.PullRequest("closed", 3, head), "db-2", "pv");
        closed.Body.Should().Contain("Removing the preview pv (pr-3)");
        await previews.IdleAsync();
        (await Platform.CliAsync("db", "ls", "--app", "pv", "--env", "pr-3")).Out.Should().NotContain("main", "the environment is gone with its databases");
        var act = async () =>
        {
            await using var gone = new NpgsqlConnection(ConnectionString(previewUrl));
            await gone.OpenAsync();
        };
        (await act.Should().ThrowAsync<PostgresException>()).Which.SqlState.Should().BeOneOf("3D000", "28P01", "28000");
    }

    private async Task<NpgsqlConnection> OpenAsync(params string[] env)
    {
        var connection = new NpgsqlConnection(ConnectionString((await Platform.CliAsync(["db", "url", "--app", "pv", .. env])).Out.Trim()));
        await connection.OpenAsync();
        return connection;
    }

    private static string ConnectionString(string url)
    {
        var uri = new Uri(url);
        return new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host, Port = uri.Port, Username = Uri.UnescapeDataString(uri.UserInfo.Split(':')[0]),
            Password = Uri.UnescapeDataString(uri.UserInfo.Split(':')[1]), Database = uri.AbsolutePath.Trim('/'), Pooling = false,
        }.ConnectionString;
    }
}
