using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Slipway.Databases;
using Slipway.Tests.Support;

namespace Slipway.Tests.Databases;

[Collection("platform")]
public sealed class CrashLeftoversTests
{
    [Fact]
    public async Task At_start_a_backup_caught_half_way_is_failed_visibly_and_scratch_databases_are_dropped()
    {
        var dataDir = TempDirs.Create("dbleft");
        try
        {
            await using (var first = await TestPlatform.StartAsync(dataDir: dataDir))
            {
                first.KeepData = true;
                (await first.CliAsync("db", "create", "--create", "--app", "left")).ExitCode.Should().Be(0);
                var admin = await first.Services.GetRequiredService<PostgresCluster>().EnsureRunningAsync(CancellationToken.None);
                await using (var connection = await admin.OpenAsync(null, CancellationToken.None))
                {
                    await DatabaseProvisioner.Exec(connection, "create database slipway_tmp_restore_crashed; create database slipway_verify_bk_crashed", CancellationToken.None);
                }
                // What a platform killed mid-backup leaves in the state: a backup that never finished.
                var databases = first.Services.GetRequiredService<DatabaseStore>();
                var db = databases.Find("left", "main")!;
                databases.InsertBackup(new BackupRecord("bk-crashed", db.Id, "left", db.DbName, BackupKind.Manual, BackupStatus.Running,
                    null, null, null, null, databases.Now(), null, null, null));
            }

            await using var second = await TestPlatform.StartAsync(dataDir: dataDir);
            var target = await second.Services.GetRequiredService<PostgresCluster>().EnsureRunningAsync(CancellationToken.None);
            await using var check = await target.OpenAsync(null, CancellationToken.None);
            await using var names = new NpgsqlCommand("select count(*) from pg_database where datname like 'slipway%'", check);
            (await names.ExecuteScalarAsync()).Should().Be(0L);
            (await DatabaseFixture.EventuallyAsync(async () =>
                (await second.CliAsync("db", "backups", "--app", "left")).Out.Contains("interrupted by a platform stop"), TimeSpan.FromSeconds(10))).Should().BeTrue();
            (await second.CliAsync("db", "backups", "--app", "left")).Out.Should().Contain("bk-crashed").And.Contain("failed");
            var read = await second.CliAsync("db", "psql", "--app", "left", "-c", "select 1");
            read.Out.Trim().Should().Be("1", "the database itself is untouched");
        }
        finally
        {
            TempDirs.Delete(dataDir);
            TempDirs.Delete(dataDir + "-db");
        }
    }

    [Fact]
    public async Task A_database_a_crash_caught_mid_switch_accepts_connections_again_at_start()
    {
        var dataDir = TempDirs.Create("dbswitch");
        try
        {
            await using (var first = await TestPlatform.StartAsync(dataDir: dataDir))
            {
                first.KeepData = true;
                (await first.CliAsync("db", "create", "--create", "--app", "midswitch")).ExitCode.Should().Be(0);
                var admin = await first.Services.GetRequiredService<PostgresCluster>().EnsureRunningAsync(CancellationToken.None);
                await using var connection = await admin.OpenAsync(null, CancellationToken.None);
                // What a platform killed inside DatabaseSwitch.SwapAsync leaves: the live database closed to
                // connections, the rename not yet committed.
                await DatabaseProvisioner.Exec(connection, "alter database app_midswitch_main with allow_connections false", CancellationToken.None);
            }

            await using var second = await TestPlatform.StartAsync(dataDir: dataDir);
            var read = await second.CliAsync("db", "psql", "--app", "midswitch", "-c", "select 1");
            read.Out.Trim().Should().Be("1", "the app's database must not stay closed after a crash: " + read);
        }
        finally
        {
            TempDirs.Delete(dataDir);
            TempDirs.Delete(dataDir + "-db");
        }
    }
}
