using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Offsite;
using Slipway.Tests.Databases;
using Slipway.Tests.Support;

namespace Slipway.Tests.Offsite;

/// <summary>The whole-machine drill: a platform with an app, its database (with a store of its own) and config copies
/// itself to a real S3-compatible store (s3rver); its data directory and its databases' directory are deleted;
/// `restore-platform` on an empty directory and a first start bring the app back serving its data, with its config. A
/// later start that must take the logical path reads the database's backup from the database's own store, passing over
/// a newer one that never left the machine.</summary>
[Collection("platform")]
public sealed class PlatformDrillTests
{
    [Fact]
    public async Task A_lost_machine_comes_back_from_the_store_with_its_apps_data_and_config()
    {
        await using var server = await S3Server.StartAsync();
        var settings = new S3Settings(server.Endpoint, S3Server.Bucket, "drill/", "us-east-1", S3Server.Key, S3Server.Key);
        string backupKey;
        string backupId;
        var oldDataDir = TempDirs.Create("lost");
        await using (var lost = await TestPlatform.StartAsync(dataDir: oldDataDir))
        {
            (await lost.CliWithInputAsync($"{S3Server.Key}\n{S3Server.Key}\n", "storage", "add", "offsite", "--endpoint", server.Endpoint,
                "--bucket", S3Server.Bucket, "--prefix", "drill")).ExitCode.Should().Be(0);
            var app = DbApp.Create();
            var set = await lost.CliAsync("env", "set", "GREETING=it costs $5 and $HOME stays", "--secret", "--create", "--app", "ledger");
            set.ExitCode.Should().Be(0, set.ToString());
            var deployed = await lost.DeployAsync(app, "ledger");
            deployed.ExitCode.Should().Be(0, deployed.ToString());
            foreach (var v in new[] { "alpha", "beta", "gamma" })
            {
                (await ReadAsync(lost, "/write?v=" + v)).Should().Be("ok");
            }
            // The database's own store: its backups go there, not to the platform-wide one (which takes WAL and the state).
            var mine = await lost.CliWithInputAsync($"{S3Server.Key}\n{S3Server.Key}\n", "storage", "add", "mine", "--endpoint", server.Endpoint,
                "--bucket", S3Server.Bucket, "--prefix", "drill-mine", "--app", "ledger");
            mine.ExitCode.Should().Be(0, mine.ToString());
            var backup = await lost.CliAsync("db", "backup", "--app", "ledger", "--json");
            JsonDocument.Parse(backup.Out).RootElement.GetProperty("status").GetString().Should().Be("verified", backup.ToString());
            backupId = JsonDocument.Parse(backup.Out).RootElement.GetProperty("id").GetString()!;

            // Written after the last logical backup: only the shipped WAL brings it back.
            var pitr = lost.Services.GetRequiredService<Slipway.Databases.PointInTimeRecovery>();
            (await DatabaseFixture.EventuallyAsync(() => Task.FromResult(pitr.BaseBackups().Count > 0), TimeSpan.FromSeconds(60)))
                .Should().BeTrue("a base backup is taken soon after the cluster starts");
            (await ReadAsync(lost, "/write?v=delta")).Should().Be("ok");
            var cluster = lost.Services.GetRequiredService<Slipway.Databases.PostgresCluster>();
            await using (var admin = await (await cluster.EnsureRunningAsync(CancellationToken.None)).OpenAsync(null, CancellationToken.None))
            await using (var switchWal = new Npgsql.NpgsqlCommand("select pg_walfile_name(pg_switch_wal())", admin))
            {
                var segment = (string)(await switchWal.ExecuteScalarAsync())!;
                (await DatabaseFixture.EventuallyAsync(() => Task.FromResult(File.Exists(Path.Combine(cluster.ArchiveDir, segment + ".gz"))), TimeSpan.FromSeconds(60)))
                    .Should().BeTrue($"segment {segment} is archived");
            }
            var sync = await lost.CliAsync("storage", "sync", "--json");
            sync.ExitCode.Should().Be(0, sync.ToString());
            JsonDocument.Parse(sync.Out).RootElement.GetProperty("platformSnapshot").GetString().Should().NotBeNullOrEmpty();
            var verify = await lost.CliAsync("storage", "verify");
            verify.ExitCode.Should().Be(0, verify.ToString());
            verify.Out.Should().Contain("restored, counts match").And.Contain("mine");
            backupKey = (await lost.CliAsync("keys", "export-backup-key")).Out.Trim();

            using var bucket = new S3Bucket(settings);
            var keys = (await bucket.ListAsync("", CancellationToken.None)).Select(o => o.Key).ToList();
            keys.Should().Contain(k => k.StartsWith("wal/", StringComparison.Ordinal), "archived WAL is shipped");
            keys.Should().Contain(k => k.StartsWith("sources/ledger/", StringComparison.Ordinal), "the live build's source is kept off the machine");
            keys.Should().Contain(k => k.EndsWith("/state.db.sealed", StringComparison.Ordinal));
            keys.Should().NotContain(k => k.StartsWith("databases/", StringComparison.Ordinal), "the database's backups go to its own store");
            var stored = Directory.GetFiles(server.Dir, "*", SearchOption.AllDirectories)
                .Where(f => f.Contains("state.db.sealed", StringComparison.Ordinal) && !f.EndsWith(".json", StringComparison.Ordinal)).ToList();
            stored.Should().NotBeEmpty();
            foreach (var file in stored)
            {
                System.Text.Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)).Should().NotContain("SQLite format", "the state leaves the machine sealed");
            }
        }
        Directory.Exists(oldDataDir).Should().BeFalse("the machine is lost: its data directory and databases are gone");

        var newDataDir = TempDirs.Create("rebuilt");
        var input = $"{S3Server.Key}\n{S3Server.Key}\n{backupKey}\n";
        var wrongKey = await Cli(server, newDataDir, $"{S3Server.Key}\n{S3Server.Key}\n{BackupKey.New().Export()}\n");
        wrongKey.ExitCode.Should().Be(1);
        wrongKey.Err.Should().Contain("it was sealed with backup key");
        Directory.EnumerateFileSystemEntries(newDataDir).Select(Path.GetFileName).Should().BeSubsetOf(["slipway.lock", "slipway.pid"],
            "a failed restore leaves nothing but the lock it held");

        var restored = await Cli(server, newDataDir, input);
        restored.ExitCode.Should().Be(0, restored.ToString());
        restored.Out.Should().Contain("Restored the platform's state from snapshot");
        (await Cli(server, newDataDir, input)).Err.Should().Contain("is not empty");

        var rebuilt = await TestPlatform.StartAsync(dataDir: newDataDir);
        await using var disposeRebuilt = rebuilt;
        var restoring = rebuilt.Services.GetRequiredService<RestoredPlatform>();
        await restoring.Done.WaitAsync(TimeSpan.FromMinutes(2));
        restoring.Redeployments.Should().ContainSingle();
        var engine = rebuilt.Services.GetRequiredService<Slipway.Deploy.DeployEngine>();
        await engine.WaitAsync(restoring.Redeployments[0].Id).WaitAsync(TimeSpan.FromMinutes(3));

        var status = await rebuilt.CliAsync("status", "--app", "ledger");
        var platformEvents = await rebuilt.CliAsync("events");
        (await ReadAsync(rebuilt, "/read")).Should().Be("alpha,beta,gamma,delta", $"the database came back from the store's base backup and WAL, past its last backup\n{status}\n{platformEvents}");
        (await ReadAsync(rebuilt, "/env?name=GREETING")).Should().Be("it costs $5 and $HOME stays", "config comes back, sealed under the master key it carried");
        var events = await rebuilt.CliAsync("events");
        events.Out.Should().Contain("platform.restored").And.NotContain("restore-failed").And.NotContain("restore-incomplete").And.NotContain("restore-partial");
        File.Exists(RestoreMark.PathIn(newDataDir)).Should().BeFalse("the restore is over");

        // The logical path (a snapshot with no cluster: nothing to replay), on the same restart that checks settled steps.
        // A newer verified backup whose copy never left the lost machine (its store failed) is passed over, named, for
        // the newest one a store holds: the database's own. A second database, whose step the mark says failed (as if
        // restored by hand since and written to), must be left alone, with its new row.
        (await ReadAsync(rebuilt, "/write?v=epsilon")).Should().Be("ok");
        (await rebuilt.CliAsync("db", "create", "--create", "--app", "kept")).ExitCode.Should().Be(0);
        (await rebuilt.CliAsync("db", "psql", "--app", "kept", "-c", "create table t(v text); insert into t values ('by hand')")).ExitCode.Should().Be(0);
        var databases = rebuilt.Services.GetRequiredService<Slipway.Databases.DatabaseStore>();
        var ledger = databases.ListAll().Single(d => d.App == "ledger");
        var kept = databases.ListAll().Single(d => d.App == "kept");
        databases.InsertBackup(databases.FindBackup(backupId)! with
        {
            Id = "bk_neverleft", Location = "ledger/main/bk_neverleft.dump", StartedAt = Slipway.UtcTime.Format(DateTimeOffset.UtcNow),
        });
        rebuilt.KeepData = true;
        await rebuilt.DisposeAsync();
        await File.WriteAllBytesAsync(RestoreMark.PathIn(newDataDir), JsonSerializer.SerializeToUtf8Bytes(
            new RestorePending("earlier", DateTimeOffset.UtcNow, Failed: ["db:" + kept.Id], Databases: [ledger.Id, kept.Id], Apps: [], SystemId: null), RestoredPlatform.Json));
        rebuilt = await TestPlatform.StartAsync(dataDir: newDataDir);
        await using var disposeAgain = rebuilt;
        await rebuilt.Services.GetRequiredService<RestoredPlatform>().Done.WaitAsync(TimeSpan.FromMinutes(2));
        File.Exists(RestoreMark.PathIn(newDataDir)).Should().BeFalse();
        var restarted = rebuilt;
        (await DatabaseFixture.EventuallyAsync(async () => await ReadAsync(restarted, "/read") == "alpha,beta,gamma", TimeSpan.FromSeconds(60)))
            .Should().BeTrue($"ledger's database came back from its backup in its own store\n{await rebuilt.CliAsync("status", "--app", "ledger")}");
        rebuilt.Services.GetRequiredService<Slipway.State.Store>().ListEvents("ledger").Should().Contain(e => e.Kind == "database.restored" &&
            e.Message.StartsWith($"db main restored from backup {backupId}", StringComparison.Ordinal) && e.Message.Contains("Newer, passed over: bk_neverleft", StringComparison.Ordinal));
        var byHand = await rebuilt.CliAsync("db", "psql", "--app", "kept", "-c", "select v from t");
        byHand.Out.Should().Contain("by hand", "a settled step is never run again");
        var rm = await rebuilt.CliAsync("storage", "rm", "mine");
        rm.ExitCode.Should().Be(1, "the rebuilt platform still knows the database's backup is only in its store");
        rm.Err.Should().Contain("holds the only copy of 1 backup(s)");
    }

    private static async Task<string> ReadAsync(TestPlatform platform, string path)
    {
        using var response = await platform.GetAsync("ledger", path);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<CliResult> Cli(S3Server server, string dataDir, string input)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var reader = new StringReader(input);
        var code = await Slipway.Cli.CliApp.RunAsync(["restore-platform", "--endpoint", server.Endpoint, "--bucket", S3Server.Bucket, "--prefix", "drill", "--data", dataDir],
            output, error, reader, CancellationToken.None);
        return new CliResult(code, output.ToString(), error.ToString());
    }
}
