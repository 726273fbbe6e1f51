using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Slipway.Databases;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Databases;

[Collection("platform-2")]
public sealed class BackupTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestPlatform Platform => fixture.Platform;

    private async Task<string> CreateWithRowsAsync(string app, int rows, params string[] extra)
    {
        var created = await Platform.CliAsync(["db", "create", "--create", "--app", app, .. extra]);
        created.ExitCode.Should().Be(0, created.ToString());
        await SqlAsync(app, $"create table items(id serial primary key, v text not null); create table notes(n int); insert into items(v) select 'row' || g from generate_series(1, {rows}) g");
        return (await Platform.CliAsync("db", "url", "--app", app)).Out.Trim();
    }

    private async Task<string> SqlAsync(string app, string sql)
    {
        var result = await Platform.CliAsync("db", "psql", "--app", app, "-c", sql);
        result.ExitCode.Should().Be(0, result.ToString());
        return result.Out.Trim();
    }

    private async Task<List<JsonElement>> BackupsAsync(string app) =>
        JsonDocument.Parse((await Platform.CliAsync("db", "backups", "--app", app, "--json")).Out).RootElement.EnumerateArray().ToList();

    [Fact]
    public async Task Metrics_give_each_database_its_size_connections_and_the_age_of_its_last_verified_backup()
    {
        var url = await CreateWithRowsAsync("gauges", 2000);
        (await Platform.CliAsync("db", "backup", "--app", "gauges")).ExitCode.Should().Be(0);
        await using var open = new NpgsqlConnection(ConnectionString(url));
        await open.OpenAsync();
        Platform.Services.GetRequiredService<Slipway.Databases.DatabaseMetrics>().Should().NotBeNull("the platform made its instruments at start");
        using var meter = new MeterReadings("slipway.database.", new Dictionary<string, string> { ["app"] = "gauges", ["database"] = "main", ["type"] = "postgres" });
        var readings = await meter.ReadAsync("slipway.database.size", "slipway.database.connections", "slipway.database.backup.age");
        readings["slipway.database.size"].Should().BeGreaterThan(1 << 20, "2,000 rows and PostgreSQL's catalog");
        readings["slipway.database.connections"].Should().BeGreaterThanOrEqualTo(1, "this test holds a connection open");
        readings["slipway.database.backup.age"].Should().BeInRange(0, 120, "the backup was just taken and verified");
    }

    [Fact]
    public async Task A_backup_is_verified_listed_and_restores_in_place_after_a_safety_backup_and_into_a_new_database()
    {
        var url = await CreateWithRowsAsync("ledger", 500);
        var backup = await Platform.CliAsync("db", "backup", "--app", "ledger", "--json");
        backup.ExitCode.Should().Be(0, backup.ToString());
        var taken = JsonDocument.Parse(backup.Out).RootElement;
        var id = taken.GetProperty("id").GetString()!;
        taken.GetProperty("status").GetString().Should().Be("verified");
        taken.GetProperty("tables").GetInt32().Should().Be(2);
        taken.GetProperty("rows").GetInt64().Should().Be(500);
        taken.GetProperty("sizeBytes").GetInt64().Should().BeGreaterThan(0);

        // Without --json the steps are printed as they happen, then the outcome.
        var shown = await Platform.CliAsync("db", "backup", "--app", "ledger");
        shown.ExitCode.Should().Be(0, shown.ToString());
        shown.Out.Should().MatchRegex("(?s)snapshot of app_ledger_main: 2 tables, 500 rows.*dump written: .*verifying bk-.*: verified");
        shown.Out.Should().NotContain("postgres://");

        var listed = await Platform.CliAsync("db", "backups", "--app", "ledger");
        listed.Out.Should().Contain(id).And.Contain("verified").And.Contain("manual");

        // Damage the live data, then restore in place while a connection is open.
        await SqlAsync("ledger", "delete from items where id > 10; insert into notes values (42)");
        await using var open = new NpgsqlConnection(ConnectionString(url));
        await open.OpenAsync();
        var restore = await Platform.CliAsync("db", "restore", id, "--json");
        restore.ExitCode.Should().Be(0, restore.ToString());
        var safety = JsonDocument.Parse(restore.Out).RootElement.GetProperty("safetyBackup").GetString();
        (await SqlAsync("ledger", "select count(*) from items")).Should().Be("500");
        (await SqlAsync("ledger", "select count(*) from notes")).Should().Be("0");
        (await Platform.CliAsync("db", "url", "--app", "ledger")).Out.Trim().Should().Be(url, "apps keep their URL across a restore");

        var all = await BackupsAsync("ledger");
        var safetyRow = all.Single(b => b.GetProperty("id").GetString() == safety);
        safetyRow.GetProperty("kind").GetString().Should().Be("safety");
        safetyRow.GetProperty("status").GetString().Should().Be("verified");
        safetyRow.GetProperty("rows").GetInt64().Should().Be(11, "the safety backup holds the data the restore replaced");

        var toNew = await Platform.CliAsync("db", "restore", id, "--to-new", "ledger_copy");
        toNew.ExitCode.Should().Be(0, toNew.ToString());
        (await Platform.CliAsync("db", "ls", "--app", "ledger")).Out.Should().Contain("ledger_copy").And.Contain("detached");
        var copyUrl = new Uri((await Platform.CliAsync("db", "url", "--app", "ledger", "--name", "ledger_copy")).Out.Trim());
        await using var copy = new NpgsqlConnection(ConnectionString(copyUrl.ToString()));
        await copy.OpenAsync();
        await using (var count = new NpgsqlCommand("select count(*) from items", copy))
        {
            (await count.ExecuteScalarAsync()).Should().Be(500L);
        }
        await copy.CloseAsync();

        // The detached copy becomes the environment's database: same URL, the app's role owns its tables.
        await SqlAsync("ledger", "insert into notes values (7)");
        var attach = await Platform.CliAsync("db", "attach", "ledger_copy", "--app", "ledger");
        attach.ExitCode.Should().Be(0, attach.ToString());
        (await SqlAsync("ledger", "select count(*) from notes")).Should().Be("0");
        (await SqlAsync("ledger", "insert into items(v) values ('mine') returning v")).Should().StartWith("mine");
        (await Platform.CliAsync("db", "ls", "--app", "ledger")).Out.Should().NotContain("ledger_copy");
        (await Platform.CliAsync("db", "url", "--app", "ledger")).Out.Trim().Should().Be(url);
    }

    [Fact]
    public async Task No_write_acknowledged_while_an_in_place_restore_runs_is_lost_it_is_in_the_safety_backup_or_the_restored_database()
    {
        var url = await CreateWithRowsAsync("journal", 20000);
        var backup = JsonDocument.Parse((await Platform.CliAsync("db", "backup", "--app", "journal", "--json")).Out).RootElement.GetProperty("id").GetString()!;

        // The app writes all along, as an app would: a new connection per write, retried when refused.
        var acknowledged = new List<int>();
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
            for (var n = 1; !stop.IsCancellationRequested; n++)
            {
                try
                {
                    await using var connection = new NpgsqlConnection(ConnectionString(url) + ";Pooling=false;Timeout=5");
                    await connection.OpenAsync();
                    await using var insert = new NpgsqlCommand($"insert into notes values ({n})", connection);
                    await insert.ExecuteNonQueryAsync();
                    lock (acknowledged)
                    {
                        acknowledged.Add(n);
                    }
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    await Task.Delay(20);
                }
            }
        });
        (await DatabaseFixture.EventuallyAsync(() => Task.FromResult(Acknowledged() >= 20), TimeSpan.FromSeconds(60))).Should().BeTrue("the app writes");
        var restore = await Platform.CliAsync("db", "restore", backup, "--app", "journal", "--json");
        restore.ExitCode.Should().Be(0, restore.ToString());
        var safety = JsonDocument.Parse(restore.Out).RootElement.GetProperty("safetyBackup").GetString()!;
        var after = Acknowledged();
        (await DatabaseFixture.EventuallyAsync(() => Task.FromResult(Acknowledged() >= after + 10), TimeSpan.FromSeconds(60)))
            .Should().BeTrue("the app writes to the restored database");
        await stop.CancelAsync();
        await writer;

        (await Platform.CliAsync("db", "restore", safety, "--to-new", "journal_before")).ExitCode.Should().Be(0);
        var before = (await Platform.CliAsync("db", "psql", "--app", "journal", "--name", "journal_before", "-c", "select string_agg(n::text, ',') from notes")).Out.Trim();
        var now = await SqlAsync("journal", "select string_agg(n::text, ',') from notes");
        var kept = before.Split(',', StringSplitOptions.RemoveEmptyEntries).Concat(now.Split(',', StringSplitOptions.RemoveEmptyEntries)).Select(int.Parse).ToHashSet();
        acknowledged.Where(n => !kept.Contains(n)).Should().BeEmpty(
            $"every acknowledged write is in the final safety backup ({before.Split(',').Length} of them) or was made after the switch");
        (await SqlAsync("journal", "select count(*) from items")).Should().Be("20000");
    }

    [Fact]
    public async Task A_corrupted_backup_file_fails_verification_visibly_and_is_never_restored()
    {
        await CreateWithRowsAsync("fragile", 200);
        var id = JsonDocument.Parse((await Platform.CliAsync("db", "backup", "--app", "fragile", "--json")).Out).RootElement.GetProperty("id").GetString()!;
        var databases = Platform.Services.GetRequiredService<DatabaseStore>();
        var storage = Platform.Services.GetRequiredService<LocalBackupStorage>();
        var record = databases.FindBackup(id)!;
        var path = storage.PathOf(record.Location!);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(path, bytes);

        var verify = await Platform.CliAsync("db", "verify", id);
        verify.ExitCode.Should().Be(1);
        verify.Err.Should().Contain("checksum mismatch");
        var row = (await BackupsAsync("fragile")).Single(b => b.GetProperty("id").GetString() == id);
        row.GetProperty("status").GetString().Should().Be("failed");
        Platform.Services.GetRequiredService<Store>().ListEvents("fragile").Should().Contain(e => e.Kind == "database.backup-failed" && e.Message.Contains(id));
        var restore = await Platform.CliAsync("db", "restore", id);
        restore.ExitCode.Should().Be(1);
        restore.Err.Should().Contain("only verified backups are restored");

        // A damaged dump whose checksum was recorded after the damage: the restore itself catches it.
        var truncated = bytes[..(bytes.Length * 2 / 3)];
        await File.WriteAllBytesAsync(path, truncated);
        databases.UpdateBackup(record with { Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(truncated)) });
        var again = await Platform.CliAsync("db", "verify", id);
        again.ExitCode.Should().Be(1);
        again.Err.Should().Contain("pg_restore");
    }

    [Fact]
    public async Task Scheduled_backups_run_verify_are_pruned_by_retention_and_restore()
    {
        await CreateWithRowsAsync("nightly", 50, "--schedule", "*/2 * * * * *");
        // keep 1 daily, 0 weekly: every new scheduled backup replaces the previous one.
        var db = Platform.Services.GetRequiredService<DatabaseStore>().Find("nightly", "main")!;
        Platform.Services.GetRequiredService<DatabaseStore>().UpdateSettings(db.Id, (db.ParsedSettings with { KeepDaily = 1, KeepWeekly = 0 }).ToJson());

        string? first = null;
        (await DatabaseFixture.EventuallyAsync(async () =>
        {
            var scheduled = (await BackupsAsync("nightly")).Where(b => b.GetProperty("kind").GetString() == "scheduled").ToList();
            first ??= scheduled.FirstOrDefault(b => b.GetProperty("status").GetString() == "verified").ValueKind == JsonValueKind.Object
                ? scheduled.First(b => b.GetProperty("status").GetString() == "verified").GetProperty("id").GetString() : null;
            return first is not null && scheduled.Any(b => b.GetProperty("status").GetString() == "verified" && b.GetProperty("id").GetString() != first)
                && scheduled.All(b => b.GetProperty("id").GetString() != first);
        }, TimeSpan.FromSeconds(60))).Should().BeTrue("a second scheduled backup verifies and retention removes the first");

        // The schedule stops (yearly now) and the backup in progress ends, so retention cannot remove the one restored.
        db = Platform.Services.GetRequiredService<DatabaseStore>().Find("nightly", "main")!;
        Platform.Services.GetRequiredService<DatabaseStore>().UpdateSettings(db.Id, (db.ParsedSettings with { Schedule = "0 3 1 1 *" }).ToJson());
        (await DatabaseFixture.EventuallyAsync(async () =>
            (await BackupsAsync("nightly")).All(b => b.GetProperty("status").GetString() is "verified" or "failed"), TimeSpan.FromSeconds(60)))
            .Should().BeTrue("the last scheduled backup ends");
        var latest = (await BackupsAsync("nightly")).First(b => b.GetProperty("status").GetString() == "verified");
        latest.GetProperty("rows").GetInt64().Should().Be(50);
        var restore = await Platform.CliAsync("db", "restore", latest.GetProperty("id").GetString()!, "--to-new", "nightly_check");
        restore.ExitCode.Should().Be(0, restore.ToString());

        // Destroying the environment drops its database (and stops its schedule).
        (await Platform.CliAsync("destroy", "--app", "nightly", "--yes")).ExitCode.Should().Be(0);
        Platform.Services.GetRequiredService<DatabaseStore>().Find("nightly", "main").Should().BeNull();
        var cluster = await fixture.Cluster.EnsureRunningAsync(CancellationToken.None);
        await using var admin = await cluster.OpenAsync(null, CancellationToken.None);
        await using var exists = new NpgsqlCommand("select count(*) from pg_database where datname = 'app_nightly_main'", admin);
        (await exists.ExecuteScalarAsync()).Should().Be(0L);
    }

    [Fact]
    public async Task Verifying_a_backup_that_has_no_file_says_so_instead_of_failing_internally()
    {
        await CreateWithRowsAsync("nofile", 3);
        var databases = Platform.Services.GetRequiredService<DatabaseStore>();
        var db = databases.Find("nofile", "main")!;
        // What a backup whose pg_dump failed leaves: a failed record without a stored file.
        databases.InsertBackup(new BackupRecord("bk-nofile", db.Id, "nofile", db.DbName, BackupKind.Manual, BackupStatus.Failed,
            null, null, null, null, databases.Now(), databases.Now(), 5, "pg_dump exited with code 1"));

        var verify = await Platform.CliAsync("db", "verify", "bk-nofile");
        verify.ExitCode.Should().Be(1);
        verify.Err.Should().Contain("no file").And.Contain("slipway db backup").And.NotContain("internal error");
    }

    [Fact]
    public async Task A_backup_of_a_destroyed_environment_restores_into_a_new_database()
    {
        await CreateWithRowsAsync("doomed", 25);
        var id = JsonDocument.Parse((await Platform.CliAsync("db", "backup", "--app", "doomed", "--json")).Out).RootElement.GetProperty("id").GetString()!;
        (await Platform.CliAsync("destroy", "--app", "doomed", "--yes")).ExitCode.Should().Be(0);

        var restore = await Platform.CliAsync("db", "restore", id, "--to-new", "doomed_back");
        restore.ExitCode.Should().Be(0, restore.ToString());
        (await Platform.CliAsync("db", "ls", "--app", "doomed")).Out.Should().Contain("doomed_back");
        var url = (await Platform.CliAsync("db", "url", "--app", "doomed", "--name", "doomed_back")).Out.Trim();
        await using var copy = new NpgsqlConnection(ConnectionString(url));
        await copy.OpenAsync();
        await using var count = new NpgsqlCommand("select count(*) from items", copy);
        (await count.ExecuteScalarAsync()).Should().Be(25L);
    }

    [Fact]
    public async Task A_backup_stopped_half_way_is_failed_at_once_not_left_running()
    {
        await CreateWithRowsAsync("halfway", 300000);
        var databases = Platform.Services.GetRequiredService<DatabaseStore>();
        var db = databases.Find("halfway", "main")!;
        using var cts = new CancellationTokenSource();
        var taking = Platform.Services.GetRequiredService<DatabaseBackup>().TakeAsync(db, BackupKind.Manual, OperationProgress.None, cts.Token);
        (await DatabaseFixture.EventuallyAsync(async () =>
        {
            await Task.Yield();
            return taking.IsCompleted || databases.ListBackupsOf(db.Id).Any(b => b.Status == BackupStatus.Verifying);
        }, TimeSpan.FromSeconds(30))).Should().BeTrue();
        taking.IsCompleted.Should().BeFalse("it is stopped while it verifies");
        await cts.CancelAsync();
        var stop = async () => await taking;
        await stop.Should().ThrowAsync<OperationCanceledException>();

        var backup = databases.ListBackupsOf(db.Id).Single();
        backup.Status.Should().Be(BackupStatus.Failed);
        backup.Error.Should().Contain("stopped before it finished");
        Platform.Services.GetRequiredService<Store>().ListEvents("halfway").Should().Contain(e => e.Kind == "database.backup-failed" && e.Message.Contains(backup.Id));
    }

    private static string ConnectionString(string url)
    {
        var uri = new Uri(url);
        var (user, password) = (uri.UserInfo.Split(':')[0], uri.UserInfo.Split(':')[1]);
        return new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.Port, Username = user, Password = password, Database = uri.AbsolutePath.Trim('/'), Pooling = false }.ConnectionString;
    }
}
