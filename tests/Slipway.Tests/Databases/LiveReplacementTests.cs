using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Slipway.Databases;
using Slipway.Offsite;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Databases;

/// <summary>An in-place replacement (LiveReplacement) against a real PostgreSQL: a session the app holds open is ended and
/// waited for before the final dump; the safety backup is verified after the app is back, the old database dropped only
/// then (kept, detached, when it does not verify); it goes off the machine later, through the shipper; and a platform killed
/// while the app is shut out lets it log in again at its next start, also on an external server.</summary>
[Collection("platform-3")]
public sealed class LiveReplacementTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestPlatform Platform => fixture.Platform;

    [Fact]
    public async Task A_session_held_open_and_writing_through_an_in_place_restore_loses_no_acknowledged_write()
    {
        var url = await CreateWithRowsAsync(Platform.CliAsync, "steady", 20000);
        var backup = await BackupIdAsync(Platform.CliAsync, "steady");

        // The app keeps ONE session and writes in a loop (each insert its own transaction, acknowledged by its commit); it
        // opens another only when the server ends this one.
        var acknowledged = new List<int>();
        var sessions = 0;
        int Acknowledged()
        {
            lock (acknowledged)
            {
                return acknowledged.Count;
            }
        }
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var connection = new NpgsqlConnection(ConnectionString(url) + ";Timeout=5");
                    await connection.OpenAsync();
                    Interlocked.Increment(ref sessions);
                    while (!stop.IsCancellationRequested)
                    {
                        n++;
                        await using var insert = new NpgsqlCommand($"insert into notes values ({n})", connection);
                        await insert.ExecuteNonQueryAsync();
                        lock (acknowledged)
                        {
                            acknowledged.Add(n);
                        }
                    }
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or IOException)
                {
                    await Task.Delay(20);
                }
            }
        });
        (await DatabaseFixture.EventuallyAsync(() => Task.FromResult(Acknowledged() >= 200), TimeSpan.FromSeconds(60))).Should().BeTrue("the app writes");
        Volatile.Read(ref sessions).Should().Be(1, "one session writes all along until the restore");

        var restore = await Platform.CliAsync("db", "restore", backup, "--app", "steady");
        restore.ExitCode.Should().Be(0, restore.ToString());
        restore.Out.Should().MatchRegex("(?s)closing app_steady_main.*safety backup: dump written.*storing it on this machine.*switching.*may connect again.*verified; the database it holds is dropped");
        var after = Acknowledged();
        (await DatabaseFixture.EventuallyAsync(() => Task.FromResult(Acknowledged() >= after + 50), TimeSpan.FromSeconds(60)))
            .Should().BeTrue("the app writes to the restored database");
        await stop.CancelAsync();
        await writer;
        Volatile.Read(ref sessions).Should().BeGreaterThan(1, "the restore ended the session the app held");

        var safety = (await BackupsAsync("steady")).First(b => b.GetProperty("kind").GetString() == "safety");
        safety.GetProperty("status").GetString().Should().Be("verified");
        (await Platform.CliAsync("db", "restore", safety.GetProperty("id").GetString()!, "--to-new", "steady_before")).ExitCode.Should().Be(0);
        var before = (await Platform.CliAsync("db", "psql", "--app", "steady", "--name", "steady_before", "-c", "select string_agg(n::text, ',') from notes")).Out.Trim();
        var now = (await Platform.CliAsync("db", "psql", "--app", "steady", "-c", "select string_agg(n::text, ',') from notes")).Out.Trim();
        var kept = before.Split(',', StringSplitOptions.RemoveEmptyEntries).Concat(now.Split(',', StringSplitOptions.RemoveEmptyEntries)).Select(int.Parse).ToHashSet();
        acknowledged.Where(n => !kept.Contains(n)).Should().BeEmpty(
            $"every write acknowledged on the open session is in the final safety backup ({before.Split(',').Length} of them) or was made after the switch");

        (await NamesAsync(await fixture.Cluster.EnsureRunningAsync(CancellationToken.None), DatabaseSwitch.RetiredPrefix)).Should().BeEmpty("dropped once the safety backup verified");
        Journals(Platform.DataDir).Should().BeEmpty();
    }

    [Fact]
    public async Task A_safety_backup_that_does_not_restore_keeps_the_replaced_database_as_a_detached_one_that_can_be_attached_again()
    {
        await CreateWithRowsAsync(Platform.CliAsync, "keeper", 40);
        var backup = await BackupIdAsync(Platform.CliAsync, "keeper");
        // Dumps, but does not restore: a check calls a function that reads another table, which is empty (and off the
        // search path) while the rows are loaded.
        await SqlAsync("keeper", """
            create table z_ref(id int primary key); insert into z_ref values (1);
            create function a_ok(int) returns boolean language sql as 'select exists(select 1 from z_ref where id = $1)';
            create table a_checked(x int check (a_ok(x))); insert into a_checked values (1);
            insert into notes values (7)
            """);

        var restore = await Platform.CliAsync("db", "restore", backup, "--app", "keeper");
        restore.ExitCode.Should().Be(0, "the restore itself is done: " + restore);
        restore.Out.Should().Contain("did not verify").And.Contain("kept as detached database");
        (await SqlAsync("keeper", "select count(*) from notes")).Should().Be("0", "the backup is in place");
        (await SqlAsync("keeper", "select count(*) from items")).Should().Be("40");

        var detached = JsonDocument.Parse((await Platform.CliAsync("db", "ls", "--app", "keeper", "--json")).Out).RootElement.EnumerateArray()
            .Select(d => d.GetProperty("name").GetString()!).Where(n => n.Contains("_kept_", StringComparison.Ordinal)).Should().ContainSingle().Subject;
        var events = Platform.Services.GetRequiredService<Store>().ListEvents("keeper");
        events.Should().ContainSingle(e => e.Kind == "database.safety-unverified").Which.Message.Should().Contain(detached).And.Contain("db attach");
        var read = await Platform.CliAsync("db", "psql", "--app", "keeper", "--name", detached, "-c", "select count(*) from notes where n = 7");
        read.Out.Trim().Should().Be("1", "its own role reads the data the restore replaced: " + read);
        (await NamesAsync(await fixture.Cluster.EnsureRunningAsync(CancellationToken.None), DatabaseSwitch.RetiredPrefix)).Should().BeEmpty();

        var attach = await Platform.CliAsync("db", "attach", detached, "--app", "keeper");
        attach.ExitCode.Should().Be(0, attach.ToString());
        (await SqlAsync("keeper", "select count(*) from notes where n = 7")).Should().Be("1", "the kept data is the environment's again");
        (await SqlAsync("keeper", "insert into notes values (8) returning n")).Should().StartWith("8");
        Journals(Platform.DataDir).Should().BeEmpty();
    }

    [Fact]
    public async Task The_safety_backup_goes_off_the_machine_after_it_verified_through_the_shipper_not_while_the_app_is_shut_out()
    {
        await using var server = await S3Server.StartAsync();
        var added = await Platform.CliWithInputAsync($"{S3Server.Key}\n{S3Server.Key}\n", "storage", "add", "offsite", "--endpoint", server.Endpoint,
            "--bucket", S3Server.Bucket, "--no-local");
        added.ExitCode.Should().Be(0, added.ToString());
        try
        {
            await CreateWithRowsAsync(Platform.CliAsync, "shipped", 100);
            var backup = await BackupIdAsync(Platform.CliAsync, "shipped");
            var restore = await Platform.CliAsync("db", "restore", backup, "--app", "shipped", "--json");
            restore.ExitCode.Should().Be(0, restore.ToString());
            var safetyId = JsonDocument.Parse(restore.Out).RootElement.GetProperty("safetyBackup").GetString()!;

            (await Platform.CliAsync("storage", "sync")).ExitCode.Should().Be(0);
            var safety = Platform.Services.GetRequiredService<DatabaseStore>().FindBackup(safetyId)!;
            safety.Status.Should().Be(BackupStatus.Verified);
            var remote = OffsiteBackupStorage.RemoteKey(safety.Location!);
            var shippedAt = Platform.Services.GetRequiredService<ShippedObjects>().Newest("offsite", remote);
            shippedAt.Should().NotBeNull("the shipper copies a verified backup the store lacks");
            UtcTime.TryParse(safety.FinishedAt!, out var verifiedAt).Should().BeTrue();
            shippedAt!.Value.Should().BeOnOrAfter(verifiedAt, "it was copied after it verified, not uploaded while the app was shut out");
            File.Exists(Platform.Services.GetRequiredService<LocalBackupStorage>().PathOf(safety.Location!)).Should().BeFalse("--no-local: gone once the copy was read back");
            using var bucket = new S3Bucket(new S3Settings(server.Endpoint, S3Server.Bucket, "", "us-east-1", S3Server.Key, S3Server.Key));
            (await bucket.ListAsync("databases/", CancellationToken.None)).Select(o => o.Key).Should().Contain(remote);
        }
        finally
        {
            (await Platform.CliAsync("storage", "rm", "offsite", "--force")).ExitCode.Should().Be(0);
        }
    }

    [Fact]
    public async Task A_platform_killed_while_an_app_on_an_external_server_is_shut_out_lets_it_log_in_again_after_its_restart()
    {
        // The external server is another platform's cluster: its own start-up sweep never runs here, so only the
        // replacement's journal can open the role again.
        var admin = await fixture.Cluster.EnsureRunningAsync(CancellationToken.None);
        var dataDir = TempDirs.Create("replacekill");
        var port = Ports.Free();
        try
        {
            var platform = await PlatformProcess.StartAsync(dataDir, port);
            var cli = new CliRunner(dataDir);
            (await cli.RunAsync("db", "server", "add", $"postgres://{admin.AdminUser}:{admin.AdminPassword}@127.0.0.1:{admin.Port}/postgres", "--name", "ext"))
                .ExitCode.Should().Be(0);
            // Big enough that the dump takes a moment to catch the platform in.
            await CreateWithRowsAsync(cli.RunAsync, "shut", 300000, "--server", "ext");
            var backup = await BackupIdAsync(cli.RunAsync, "shut");
            const string Role = "app_shut_main";

            var restoring = cli.RunAsync("db", "restore", backup, "--app", "shut");
            (await DatabaseFixture.EventuallyAsync(async () => !await CanLoginAsync(admin, Role), TimeSpan.FromSeconds(60))).Should().BeTrue("the restore shuts the app out");
            platform.KillHard();
            await restoring;
            (await CanLoginAsync(admin, Role)).Should().BeFalse("the kill came while the app was shut out");
            Journals(dataDir).Should().ContainSingle("the journal outlives the process");

            await using var again = await PlatformProcess.StartAsync(dataDir, port);
            (await DatabaseFixture.EventuallyAsync(() => CanLoginAsync(admin, Role), TimeSpan.FromSeconds(60))).Should().BeTrue("the next start opens the role again");
            var read = await cli.RunAsync("db", "psql", "--app", "shut", "-c", "select count(*) from items");
            read.Out.Trim().Should().Be("300000", "the app logs in, to its data whether or not the switch happened: " + read);
            (await DatabaseFixture.EventuallyAsync(() => Task.FromResult(Journals(dataDir).Count == 0), TimeSpan.FromSeconds(60))).Should().BeTrue();
            (await NamesAsync(admin, DatabaseSwitch.RetiredPrefix)).Should().BeEmpty("the replaced data was dropped once its safety backup verified");
            (await NamesAsync(admin, DatabaseSwitch.ScratchPrefix)).Should().BeEmpty("a replacement never switched in is dropped, on any server");
            (await cli.RunAsync("status", "--app", "shut")).Out.Should().Contain("database.replace-settled").And.Contain("may log in again");
        }
        finally
        {
            TempDirs.Delete(dataDir);
            TempDirs.Delete(dataDir + "-db");
        }
    }

    private static async Task<bool> CanLoginAsync(PostgresTarget admin, string role)
    {
        await using var connection = await admin.OpenAsync(null, CancellationToken.None);
        await using var command = new NpgsqlCommand($"select rolcanlogin from pg_roles where rolname = '{role}'", connection);
        return await command.ExecuteScalarAsync() is true;
    }

    private static async Task<List<string>> NamesAsync(PostgresTarget admin, string prefix)
    {
        await using var connection = await admin.OpenAsync(null, CancellationToken.None);
        await using var command = new NpgsqlCommand($"select datname from pg_database where starts_with(datname, '{prefix}')", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var names = new List<string>();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }
        return names;
    }

    private static List<string> Journals(string dataDir)
    {
        var dir = ReplacementJournal.DirectoryIn(dataDir);
        return Directory.Exists(dir) ? Directory.GetFiles(dir, "*.json").ToList() : [];
    }

    private static async Task<string> CreateWithRowsAsync(Func<string[], Task<CliResult>> cli, string app, int rows, params string[] extra)
    {
        var created = await cli(["db", "create", "--create", "--app", app, .. extra]);
        created.ExitCode.Should().Be(0, created.ToString());
        var sql = await cli(["db", "psql", "--app", app, "-c",
            $"create table items(id serial primary key, v text not null); create table notes(n int); insert into items(v) select md5(g::text) from generate_series(1, {rows}) g"]);
        sql.ExitCode.Should().Be(0, sql.ToString());
        return (await cli(["db", "url", "--app", app])).Out.Trim();
    }

    private static async Task<string> BackupIdAsync(Func<string[], Task<CliResult>> cli, string app)
    {
        var backup = await cli(["db", "backup", "--app", app, "--json"]);
        backup.ExitCode.Should().Be(0, backup.ToString());
        return JsonDocument.Parse(backup.Out).RootElement.GetProperty("id").GetString()!;
    }

    private async Task<string> SqlAsync(string app, string sql)
    {
        var result = await Platform.CliAsync("db", "psql", "--app", app, "-c", sql);
        result.ExitCode.Should().Be(0, result.ToString());
        return result.Out.Trim();
    }

    private async Task<List<JsonElement>> BackupsAsync(string app) =>
        JsonDocument.Parse((await Platform.CliAsync("db", "backups", "--app", app, "--json")).Out).RootElement.EnumerateArray().ToList();

    private static string ConnectionString(string url)
    {
        var uri = new Uri(url);
        var (user, password) = (uri.UserInfo.Split(':')[0], uri.UserInfo.Split(':')[1]);
        return new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.Port, Username = user, Password = password, Database = uri.AbsolutePath.Trim('/'), Pooling = false }.ConnectionString;
    }
}
