using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Databases;
using Slipway.Offsite;
using Slipway.Tests.Databases;
using Slipway.Tests.Support;

namespace Slipway.Tests.Offsite;

/// <summary>A database's backups copied to a real S3-compatible store (s3rver) through `slipway storage add`: the
/// backup is verified from the copy read back from the store, no local copy stays with --no-local, and a restore
/// brings the data back from the store alone; a database with a store of its own (--app) is backed up and verified
/// there, the others in the platform-wide store.</summary>
[Collection("platform-2")]
public sealed class OffsiteDatabaseTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestPlatform Platform => fixture.Platform;

    [Fact]
    public async Task A_backup_goes_to_the_store_sealed_and_comes_back_from_it_alone()
    {
        await using var server = await S3Server.StartAsync();
        (await Platform.CliAsync("db", "create", "--create", "--app", "vault")).ExitCode.Should().Be(0);
        (await Platform.CliAsync("db", "psql", "--app", "vault", "-c",
            "create table items(id serial primary key, v text not null); insert into items(v) select 'row' || g from generate_series(1, 300) g")).ExitCode.Should().Be(0);

        var refused = await Platform.CliWithInputAsync("NOT-A-KEY\nS3RVER\n", "storage", "add", "offsite", "--endpoint", server.Endpoint, "--bucket", S3Server.Bucket);
        refused.ExitCode.Should().Be(1);
        refused.Err.Should().Contain("refused the access key or secret");
        (await Platform.CliWithInputAsync("S3RVER\nS3RVER\n", "storage", "add", "offsite", "--endpoint", server.Endpoint, "--bucket", "missing-bucket")).Err
            .Should().Contain("the bucket missing-bucket does not exist");
        var added = await Platform.CliWithInputAsync($"{S3Server.Key}\n{S3Server.Key}\n", "storage", "add", "offsite", "--endpoint", server.Endpoint,
            "--bucket", S3Server.Bucket, "--prefix", "slipway", "--no-local");
        added.ExitCode.Should().Be(0, added.ToString());
        added.Out.Should().Contain("Store offsite works").And.Contain("none stays on this machine").And.Contain("slipway keys export-backup-key");
        var listed = JsonDocument.Parse((await Platform.CliAsync("storage", "ls", "--json")).Out).RootElement.EnumerateArray().Single();
        (listed.GetProperty("prefix").GetString(), listed.GetProperty("default").GetBoolean()).Should().Be(("slipway/", true));
        listed.ToString().Should().NotContain(S3Server.Key, "the keys are never shown");

        var backup = await Platform.CliAsync("db", "backup", "--app", "vault", "--json");
        backup.ExitCode.Should().Be(0, backup.ToString());
        var taken = JsonDocument.Parse(backup.Out).RootElement;
        taken.GetProperty("status").GetString().Should().Be("verified", "the copy read back from the store restored and matched");
        var id = taken.GetProperty("id").GetString()!;
        var location = $"vault/main/{id}.dump";
        File.Exists(Platform.Services.GetRequiredService<LocalBackupStorage>().PathOf(location)).Should().BeFalse("--no-local: the store holds the only copy");
        using (var bucket = new S3Bucket(new S3Settings(server.Endpoint, S3Server.Bucket, "slipway/", "us-east-1", S3Server.Key, S3Server.Key)))
        {
            (await bucket.ListAsync("databases/", CancellationToken.None)).Select(o => o.Key).Should().Contain(OffsiteBackupStorage.RemoteKey(location));
        }

        var restored = await Platform.CliAsync("db", "restore", id, "--to-new", "vault_back");
        restored.ExitCode.Should().Be(0, restored.ToString());
        (await Platform.CliAsync("db", "psql", "--app", "vault", "--name", "vault_back", "-c", "select count(*) from items")).Out.Should().Contain("300");

        var key = await Platform.CliAsync("keys", "export-backup-key");
        key.Out.Trim().Should().StartWith("slwbk1-");
        key.Err.Should().Contain("Keep it off this machine");
        var kept = await Platform.CliAsync("storage", "rm", "offsite");
        kept.ExitCode.Should().Be(1);
        kept.Err.Should().Contain("holds the only copy of 1 backup(s)").And.Contain("--force");
        (await Platform.CliAsync("storage", "rm", "offsite", "--force")).Out.Should().Contain("Removed store offsite");
        (await Platform.CliAsync("storage", "ls")).Out.Should().Contain("No off-site stores");
    }

    [Fact]
    public async Task A_database_with_a_store_of_its_own_is_backed_up_and_verified_there_and_the_others_in_the_platform_wide_store()
    {
        await using var server = await S3Server.StartAsync();
        (await Platform.CliAsync("db", "create", "--create", "--app", "own")).ExitCode.Should().Be(0);
        (await Platform.CliAsync("db", "create", "--create", "--app", "shared")).ExitCode.Should().Be(0);
        (await Platform.CliAsync("db", "psql", "--app", "own", "-c", "create table t(v int); insert into t select generate_series(1, 40)")).ExitCode.Should().Be(0);
        var keys = $"{S3Server.Key}\n{S3Server.Key}\n";
        string[] store = ["--endpoint", server.Endpoint, "--bucket", S3Server.Bucket];

        var noDatabase = await Platform.CliWithInputAsync(keys, ["storage", "add", "mine", .. store, "--app", "own", "--name", "nope"]);
        noDatabase.ExitCode.Should().Be(1);
        noDatabase.Err.Should().Contain("own has no database nope").And.Contain("its postgres databases: main");
        (await Platform.CliWithInputAsync(keys, ["storage", "add", "mine", .. store, "--app", "own", "--env", "staging"])).Err
            .Should().Contain("own has no environment 'staging'");
        (await Platform.CliWithInputAsync(keys, ["storage", "add", "mine", .. store, "--app", "nosuch"])).Err.Should().Contain("No app named 'nosuch'");
        JsonDocument.Parse((await Platform.CliAsync("storage", "ls", "--json")).Out).RootElement.GetArrayLength().Should().Be(0, "nothing refused was kept");

        try
        {
            (await Platform.CliWithInputAsync(keys, ["storage", "add", "wide", .. store, "--prefix", "wide"])).ExitCode.Should().Be(0);
            var added = await Platform.CliWithInputAsync(keys, ["storage", "add", "mine", .. store, "--prefix", "mine", "--app", "own"]);
            added.ExitCode.Should().Be(0, added.ToString());
            added.Out.Should().Contain("The backups of own db main are copied there from now on")
                .And.Contain("the other databases go to the platform-wide store wide (this database's data travels there too");
            added.Err.Should().BeEmpty();
            (await Platform.CliWithInputAsync(keys, ["storage", "add", "again", .. store, "--prefix", "again", "--app", "own"])).Err
                .Should().Contain("Store mine takes the backups of own db main already");

            var listed = JsonDocument.Parse((await Platform.CliAsync("storage", "ls", "--json")).Out).RootElement.EnumerateArray()
                .ToDictionary(s => s.GetProperty("name").GetString()!, s => (s.GetProperty("scope").GetString(), s.GetProperty("default").GetBoolean()));
            listed.Should().BeEquivalentTo(new Dictionary<string, (string?, bool)> { ["wide"] = (null, true), ["mine"] = ("own/main", false) });
            (await Platform.CliAsync("storage", "ls")).Out.Should().Contain("platform-wide").And.Contain("own db main");

            var own = await BackupLocationAsync("own");
            var shared = await BackupLocationAsync("shared");
            using (var mine = new S3Bucket(new S3Settings(server.Endpoint, S3Server.Bucket, "mine/", "us-east-1", S3Server.Key, S3Server.Key)))
            using (var wide = new S3Bucket(new S3Settings(server.Endpoint, S3Server.Bucket, "wide/", "us-east-1", S3Server.Key, S3Server.Key)))
            {
                (await mine.ListAsync("databases/", CancellationToken.None)).Select(o => o.Key).Should().Equal(OffsiteBackupStorage.RemoteKey(own));
                (await wide.ListAsync("databases/", CancellationToken.None)).Select(o => o.Key).Should().Contain(OffsiteBackupStorage.RemoteKey(shared))
                    .And.NotContain(OffsiteBackupStorage.RemoteKey(own));
            }

            // Each database's copy is read back from its own store (other tests' databases here may fail: only these two count).
            var verified = JsonDocument.Parse((await Platform.CliAsync("storage", "verify", "--json")).Out).RootElement.EnumerateArray()
                .Where(v => v.GetProperty("app").GetString() is "own" or "shared")
                .ToDictionary(v => v.GetProperty("app").GetString()!, v => (v.GetProperty("storage").GetString(), v.GetProperty("ok").GetBoolean()));
            verified["own"].Should().Be(("mine", true));
            verified["shared"].Should().Be(("wide", true));

            // The last platform-wide store removed while a database's own remains: what no longer leaves the machine is said.
            var wideGone = await Platform.CliAsync("storage", "rm", "wide", "--force");
            wideGone.ExitCode.Should().Be(0, wideGone.ToString());
            wideGone.Out.Should().Contain("Removed store wide").And.Contain("only the databases with a store of their own are copied off this machine now");
            wideGone.Err.Should().Contain("There is no platform-wide store: WAL, base backups and the platform's state do not leave this machine")
                .And.Contain("restore-platform needs a platform-wide store");
            var mineGone = await Platform.CliAsync("storage", "rm", "mine", "--force");
            mineGone.Out.Should().Contain("Removed store mine").And.Contain("the backups of own db main go to this machine only from now on");
        }
        finally
        {
            await Platform.CliAsync("storage", "rm", "mine", "--force");
            await Platform.CliAsync("storage", "rm", "wide", "--force");
        }
    }

    [Fact]
    public async Task With_only_a_database_store_the_backups_taken_before_it_was_added_are_copied_there_by_the_shipper()
    {
        await using var server = await S3Server.StartAsync();
        (await Platform.CliAsync("db", "create", "--create", "--app", "lone")).ExitCode.Should().Be(0);
        var before = await BackupLocationAsync("lone");
        var keys = $"{S3Server.Key}\n{S3Server.Key}\n";
        try
        {
            var added = await Platform.CliWithInputAsync(keys, ["storage", "add", "lone", "--endpoint", server.Endpoint, "--bucket", S3Server.Bucket, "--prefix", "lone", "--app", "lone"]);
            added.ExitCode.Should().Be(0, added.ToString());

            var sync = await Platform.CliAsync("storage", "sync");
            sync.ExitCode.Should().Be(0, sync.ToString());
            sync.Out.Should().Contain("Copied to the databases' own stores").And.Contain("There is no platform-wide store");
            var json = JsonDocument.Parse((await Platform.CliAsync("storage", "sync", "--json")).Out).RootElement;
            json.GetProperty("storage").ValueKind.Should().Be(JsonValueKind.Null);
            json.GetProperty("failing").GetArrayLength().Should().Be(0);
            using var bucket = new S3Bucket(new S3Settings(server.Endpoint, S3Server.Bucket, "lone/", "us-east-1", S3Server.Key, S3Server.Key));
            (await bucket.ListAsync("databases/", CancellationToken.None)).Select(o => o.Key).Should().Equal(OffsiteBackupStorage.RemoteKey(before));
            (await bucket.ListAsync("wal/", CancellationToken.None)).Should().BeEmpty("WAL goes to a platform-wide store only");
        }
        finally
        {
            (await Platform.CliAsync("storage", "rm", "lone", "--force")).ExitCode.Should().Be(0);
        }
    }

    [Fact]
    public async Task A_store_takes_new_keys_only_when_they_work_and_what_it_holds_stays_recorded_and_readable()
    {
        await using var server = await S3Server.StartAsync();
        (await Platform.CliAsync("db", "create", "--create", "--app", "keyed")).ExitCode.Should().Be(0);
        var keys = $"{S3Server.Key}\n{S3Server.Key}\n";
        var storages = Platform.Services.GetRequiredService<OffsiteStorages>();
        var shipped = Platform.Services.GetRequiredService<ShippedObjects>();
        var health = Platform.Services.GetRequiredService<OffsiteHealth>();
        var scratch = TempDirs.Create("keyed-fetch");
        try
        {
            var added = await Platform.CliWithInputAsync(keys, ["storage", "add", "keyed", "--endpoint", server.Endpoint, "--bucket", S3Server.Bucket, "--prefix", "keyed",
                "--app", "keyed", "--no-local"]);
            added.ExitCode.Should().Be(0, added.ToString());
            added.Out.Should().Contain("The backups of keyed db main are copied there from now on");
            added.Err.Should().Contain("There is no platform-wide store: WAL, base backups and the platform's state do not leave this machine")
                .And.Contain("restore-platform needs a platform-wide store");
            var first = await BackupLocationAsync("keyed");
            var held = shipped.Keys("keyed", "databases/");
            held.Should().Contain(OffsiteBackupStorage.RemoteKey(first));

            // Keys the store refuses are not kept: the probe says so, and the store works on with the keys it had.
            var wrong = await Platform.CliWithInputAsync("WRONG-KEY\nWRONG-SECRET\n", "storage", "keys", "keyed");
            wrong.ExitCode.Should().Be(1);
            wrong.Err.Should().Contain("The new keys do not work").And.Contain("refused the access key or secret").And.Contain("Store keyed keeps the keys it had");
            storages.Settings(storages.List().Single(s => s.Name == "keyed")).AccessKey.Should().Be(S3Server.Key);
            (await Platform.CliWithInputAsync("", "storage", "keys", "keyed")).Err.Should().Contain("| slipway storage keys keyed");
            (await Platform.CliWithInputAsync(keys, "storage", "keys", "nosuch")).Err.Should().Contain("There is no store named nosuch");

            // The keys a restored platform's store keeps from the lost machine, revoked since: sealed into its row as a restore leaves them.
            storages.ReplaceKeys("keyed", "LOST-KEY", "LOST-SECRET").Should().BeTrue();
            var waiting = await BackupLocationAsync("keyed");
            health.Failing.Should().Contain(f => f.Storage == "keyed", "the copy was refused and the backup waits here");
            var hint = health.Failing.Single(f => f.Storage == "keyed").Reason;
            hint.Should().Contain("slipway storage keys NAME");

            var replaced = await Platform.CliWithInputAsync(keys, "storage", "keys", "keyed");
            replaced.ExitCode.Should().Be(0, replaced.ToString());
            replaced.Out.Should().Contain("Store keyed (keyed db main) takes the new keys");
            replaced.ToString().Should().NotContain(S3Server.Key, "keys are never printed");
            shipped.Keys("keyed", "databases/").Should().BeEquivalentTo(held, "what the store holds stays recorded as it was");
            using (var fetched = await Platform.Services.GetRequiredService<OffsiteBackupStorage>().FetchAsync(first, scratch, CancellationToken.None))
            {
                fetched.Temporary.Should().BeTrue("--no-local: it was read from the store, with the new keys");
                new FileInfo(fetched.Path).Length.Should().BeGreaterThan(0);
            }
            var sync = JsonDocument.Parse((await Platform.CliAsync("storage", "sync", "--json")).Out).RootElement;
            sync.GetProperty("failing").GetArrayLength().Should().Be(0);
            shipped.Keys("keyed", "databases/").Should().Contain(OffsiteBackupStorage.RemoteKey(waiting), "the backup that waited is copied");
            health.Failing.Should().NotContain(f => f.Storage == "keyed");
            var audit = (await Platform.CliAsync("audit", "--json", "--limit", "100")).Out;
            JsonDocument.Parse(audit).RootElement.EnumerateArray().Should().Contain(e => e.GetProperty("action").GetString() == "storage.keys"
                && e.GetProperty("outcome").GetString() == "ok");
            audit.Should().NotContain("WRONG-").And.NotContain("LOST-").And.NotContain(S3Server.Key);

            // Its only copies keep it, and the refusal says whose they are and the way on.
            var kept = await Platform.CliAsync("storage", "rm", "keyed");
            kept.ExitCode.Should().Be(1);
            kept.Err.Should().Contain("holds the only copy of 2 backup(s) (2 of keyed db main;")
                .And.Contain("slipway db backup --app keyed --name main (it stays on this machine only: no other store takes it)");
            var removed = await Platform.CliAsync("storage", "rm", "keyed", "--force");
            removed.Out.Should().Contain("Removed store keyed").And.Contain("the backups of keyed db main go to this machine only from now on");
            removed.Err.Should().BeEmpty("no store is left, so there is none to warn about");
        }
        finally
        {
            await Platform.CliAsync("storage", "rm", "keyed", "--force");
            TempDirs.Delete(scratch);
        }
    }

    /// <summary>Backs up <paramref name="app"/>'s main database; its backup's key.</summary>
    private async Task<string> BackupLocationAsync(string app)
    {
        var backup = await Platform.CliAsync("db", "backup", "--app", app, "--json");
        backup.ExitCode.Should().Be(0, backup.ToString());
        return $"{app}/main/{JsonDocument.Parse(backup.Out).RootElement.GetProperty("id").GetString()}.dump";
    }
}
