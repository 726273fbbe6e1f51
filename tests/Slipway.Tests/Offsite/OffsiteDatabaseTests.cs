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
            added.Out.Should().Contain("The backups of db own/main are copied there from now on");
            (await Platform.CliWithInputAsync(keys, ["storage", "add", "again", .. store, "--prefix", "again", "--app", "own"])).Err
                .Should().Contain("Store mine takes the backups of db own/main already");

            var listed = JsonDocument.Parse((await Platform.CliAsync("storage", "ls", "--json")).Out).RootElement.EnumerateArray()
                .ToDictionary(s => s.GetProperty("name").GetString()!, s => (s.GetProperty("scope").GetString(), s.GetProperty("default").GetBoolean()));
            listed.Should().BeEquivalentTo(new Dictionary<string, (string?, bool)> { ["wide"] = (null, true), ["mine"] = ("own/main", false) });
            (await Platform.CliAsync("storage", "ls")).Out.Should().Contain("platform-wide").And.Contain("db own/main");

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
        }
        finally
        {
            (await Platform.CliAsync("storage", "rm", "mine", "--force")).ExitCode.Should().Be(0);
            (await Platform.CliAsync("storage", "rm", "wide", "--force")).ExitCode.Should().Be(0);
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

    /// <summary>Backs up <paramref name="app"/>'s main database; its backup's key.</summary>
    private async Task<string> BackupLocationAsync(string app)
    {
        var backup = await Platform.CliAsync("db", "backup", "--app", app, "--json");
        backup.ExitCode.Should().Be(0, backup.ToString());
        return $"{app}/main/{JsonDocument.Parse(backup.Out).RootElement.GetProperty("id").GetString()}.dump";
    }
}
