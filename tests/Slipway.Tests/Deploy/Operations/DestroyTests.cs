using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Databases;
using Slipway.Tests.Databases;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy.Operations;

/// <summary>`destroy` names everything it deletes, backs each database up (verified) before dropping it and says how
/// to restore it; --keep-databases keeps them; a failed final backup deletes nothing. One platform (and cluster) for all.</summary>
[Collection("platform-2")]
public sealed partial class DestroyTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestPlatform Platform => fixture.Platform;

    private DatabaseStore Databases => Platform.Services.GetRequiredService<DatabaseStore>();

    private async Task CreateWithRowsAsync(string app, int rows)
    {
        var created = await Platform.CliAsync("db", "create", "--create", "--app", app);
        created.ExitCode.Should().Be(0, created.ToString());
        await SqlAsync(app, "main", $"create table items(id serial primary key, v text not null); insert into items(v) select 'row' || g from generate_series(1, {rows}) g");
    }

    private async Task<string> SqlAsync(string app, string name, string sql)
    {
        var result = await Platform.CliAsync("db", "psql", "--app", app, "--name", name, "-c", sql);
        result.ExitCode.Should().Be(0, result.ToString());
        return result.Out.Trim();
    }

    [Fact]
    public async Task Destroy_lists_the_databases_with_sizes_refuses_without_a_terminal_and_leaves_a_verified_final_backup_it_says_how_to_restore()
    {
        await CreateWithRowsAsync("doomed", 40);

        var refused = await Platform.CliAsync("destroy", "--app", "doomed");
        refused.ExitCode.Should().Be(1, refused.ToString());
        refused.Out.Should().MatchRegex(@"database main \(postgres app_doomed_main on managed, [0-9.]+ (kB|MB)\): a final backup first \(verified by a restore\), then dropped");
        refused.Out.Should().Contain("hostnames: doomed.localhost");
        refused.Err.Should().Contain("Nothing was destroyed").And.Contain("slipway destroy --app doomed --yes");
        Databases.Find("doomed", "main").Should().NotBeNull("a refused destroy deletes nothing");

        var destroy = await Platform.CliAsync("destroy", "--app", "doomed", "--yes");
        destroy.ExitCode.Should().Be(0, destroy.ToString());
        destroy.Out.Should().Contain("database main (postgres app_doomed_main").And.Contain("Destroyed doomed.");
        var restore = RestoreCommand().Match(destroy.Out);
        restore.Success.Should().BeTrue(destroy.ToString());
        var id = restore.Groups["id"].Value;
        Databases.Find("doomed", "main").Should().BeNull();
        (await Platform.CliAsync("status", "--app", "doomed")).Err.Should().Contain("No app named 'doomed'");

        // The final backup stays listed with the environment gone, verified, and the printed command restores it.
        var backups = JsonDocument.Parse((await Platform.CliAsync("db", "backups", "--app", "doomed", "--json")).Out).RootElement.EnumerateArray().ToList();
        var final = backups.Single(b => b.GetProperty("id").GetString() == id);
        final.GetProperty("kind").GetString().Should().Be("final");
        final.GetProperty("status").GetString().Should().Be("verified");
        final.GetProperty("rows").GetInt64().Should().Be(40);
        var restored = await Platform.CliAsync([.. restore.Groups["command"].Value.Split(' ').Skip(1)]);
        restored.ExitCode.Should().Be(0, restored.ToString());
        (await SqlAsync("doomed", "doomed_main", "select count(*) from items")).Should().Be("40");
    }

    [Fact]
    public async Task Keep_databases_detaches_them_with_their_data_and_takes_no_backup()
    {
        await CreateWithRowsAsync("keeper", 7);
        var destroy = await Platform.CliAsync("destroy", "--app", "keeper", "--keep-databases", "--yes");
        destroy.ExitCode.Should().Be(0, destroy.ToString());
        destroy.Out.Should().Contain("database main (postgres app_keeper_main on managed, ").And.Contain("kept, detached");
        destroy.Out.Should().Contain("To attach it again: slipway db attach app_keeper_main --app keeper");

        var ls = JsonDocument.Parse((await Platform.CliAsync("db", "ls", "--app", "keeper", "--json")).Out).RootElement.EnumerateArray().ToList();
        ls.Should().ContainSingle(d => d.GetProperty("database").GetString() == "app_keeper_main" && !d.GetProperty("attached").GetBoolean());
        (await SqlAsync("keeper", "app_keeper_main", "select count(*) from items")).Should().Be("7", "a kept database keeps its data and its role's password");
        Databases.ListBackups("keeper").Should().BeEmpty("kept databases need no final backup");
    }

    [Fact]
    public async Task A_failed_final_backup_deletes_nothing_and_the_app_serves_again()
    {
        var deploy = await Platform.DeployAsync(DbApp.Create(), "steady");
        deploy.ExitCode.Should().Be(0, deploy.ToString());
        (await fixture.GetOkAsync("steady", "/write?v=precious")).Should().Be("ok");

        // A file where the backup storage needs the app's directory: storing the dump fails.
        var blocker = Path.Combine(Platform.DataDir, "backups", "files", "steady");
        Directory.CreateDirectory(Path.GetDirectoryName(blocker)!);
        await File.WriteAllTextAsync(blocker, "in the way");
        try
        {
            var destroy = await Platform.CliAsync("destroy", "--app", "steady", "--yes");
            destroy.ExitCode.Should().Be(1, destroy.ToString());
            destroy.Err.Should().Contain("The final backup of database main (app_steady_main on server managed) failed")
                .And.Contain("Nothing was dropped or deleted").And.Contain("steady is running again").And.Contain("--keep-databases");
            Databases.Find("steady", "main").Should().NotBeNull();
            (await fixture.GetOkAsync("steady", "/read")).Should().Be("precious");
            JsonDocument.Parse((await Platform.CliAsync("status", "--app", "steady", "--json")).Out).RootElement
                .GetProperty("state").GetString().Should().Be("running");
        }
        finally
        {
            File.Delete(blocker);
        }
        var again = await Platform.CliAsync("destroy", "--app", "steady", "--yes");
        again.ExitCode.Should().Be(0, again.ToString());
        using var gone = await Platform.GetAsync("steady", "/read");
        gone.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [GeneratedRegex(@"To restore it: (?<command>slipway db restore (?<id>bk-\S+) --to-new doomed_main)")]
    private static partial Regex RestoreCommand();
}
