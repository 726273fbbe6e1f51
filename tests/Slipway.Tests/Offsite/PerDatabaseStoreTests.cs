using System.Security.Cryptography;
using Slipway.Databases;
using Slipway.Offsite;
using Slipway.Tests.Support;

namespace Slipway.Tests.Offsite;

/// <summary>A store of one database's own beside the platform-wide one, both in a real s3rver (one bucket, a prefix
/// each): every backup operation goes to the backup's own store, a copy made before the database's store was added is
/// still read from where it is, and a database's store that fails is a failing spell of its own.</summary>
public sealed class PerDatabaseStoreTests
{
    [Theory]
    [InlineData("shop/main/bk_1.dump", "shop/main")]
    [InlineData("shop-staging/main/bk_1.dump", "shop-staging/main")]
    [InlineData("/main/bk_1.dump", null)]
    [InlineData("shop/bk_1.dump", null)]
    public void A_backup_key_falls_under_the_scope_of_its_first_two_segments(string key, string? scope) =>
        OffsiteStorages.ScopeOfKey(key).Should().Be(scope);

    [Fact]
    public void A_database_with_a_store_of_its_own_goes_there_and_every_other_to_the_first_platform_wide_one()
    {
        List<OffsiteStorage> stores =
        [
            Storage("mine", "shop/main"), Storage("wide", null), Storage("later", null),
        ];
        OffsiteStorages.Choose(stores, "shop/main")!.Name.Should().Be("mine");
        OffsiteStorages.Choose(stores, "shop/other")!.Name.Should().Be("wide");
        OffsiteStorages.Choose(stores, null)!.Name.Should().Be("wide");
        OffsiteStorages.Choose([Storage("mine", "shop/main")], "blog/main").Should().BeNull("no platform-wide store: its backups stay here");
    }

    [Fact]
    public async Task Put_fetch_delete_and_the_catch_up_copy_each_go_to_the_backups_own_store()
    {
        await using var server = await S3Server.StartAsync();
        var (data, _, storages, local, shipped, _, storage) = OffsiteBed.Create("per-db-store");
        storages.Add(new OffsiteStorage("wide", server.Endpoint, S3Server.Bucket, "wide/", "us-east-1", KeepLocal: false), S3Server.Key, S3Server.Key);
        var early = await PutAsync(storage, data, "shop/main/bk_0.dump");
        storages.Add(new OffsiteStorage("mine", server.Endpoint, S3Server.Bucket, "mine/", "us-east-1", KeepLocal: false, Scope: "shop/main"), S3Server.Key, S3Server.Key);
        var second = () => storages.Add(new OffsiteStorage("again", server.Endpoint, S3Server.Bucket, "x/", "us-east-1", KeepLocal: false, Scope: "shop/main"), "k", "s");
        second.Should().Throw<UserException>().WithMessage("Store mine takes the backups of db shop/main already*");
        storage.Describe("shop/main/bk_1.dump").Should().Contain("off-site store mine");
        storage.Describe("shop/other/bk_1.dump").Should().Contain("off-site store wide");

        var mine = await PutAsync(storage, data, "shop/main/bk_1.dump");
        var other = await PutAsync(storage, data, "shop/other/bk_2.dump");
        using var wideBucket = Bucket(server, "wide/");
        using var mineBucket = Bucket(server, "mine/");
        (await Keys(mineBucket)).Should().Equal(OffsiteBackupStorage.RemoteKey("shop/main/bk_1.dump"));
        (await Keys(wideBucket)).Should().BeEquivalentTo(
            [OffsiteBackupStorage.RemoteKey("shop/main/bk_0.dump"), OffsiteBackupStorage.RemoteKey("shop/other/bk_2.dump")],
            "another database's backup, and this one's taken before its store was added, are in the platform-wide store");

        // No local copy kept: each comes back from where it is, the early one from the platform-wide store.
        var scratch = TempDirs.Create("per-db-scratch");
        foreach (var (key, bytes) in new[] { ("shop/main/bk_0.dump", early), ("shop/main/bk_1.dump", mine), ("shop/other/bk_2.dump", other) })
        {
            File.Exists(local.PathOf(key)).Should().BeFalse();
            using var fetched = await storage.FetchAsync(key, scratch, CancellationToken.None);
            (await File.ReadAllBytesAsync(fetched.Path)).Should().Equal(bytes, key);
        }

        await storage.DeleteAsync("shop/main/bk_1.dump", CancellationToken.None);
        await storage.DeleteAsync("shop/main/bk_0.dump", CancellationToken.None);
        (await Keys(mineBucket)).Should().BeEmpty();
        (await Keys(wideBucket)).Should().Equal(OffsiteBackupStorage.RemoteKey("shop/other/bk_2.dump"));
        shipped.Keys("mine", "databases/").Should().BeEmpty();

        // Stored here first (a safety backup): the shipper's catch-up copies each to its own store.
        await PutHereAsync(storage, data, "shop/main/bk_3.dump");
        await PutHereAsync(storage, data, "blog/main/bk_4.dump");
        (await storage.ShipPendingAsync([Verified("shop/main/bk_3.dump"), Verified("blog/main/bk_4.dump")], CancellationToken.None)).Should().Be(2);
        (await Keys(mineBucket)).Should().Equal(OffsiteBackupStorage.RemoteKey("shop/main/bk_3.dump"));
        (await Keys(wideBucket)).Should().Contain(OffsiteBackupStorage.RemoteKey("blog/main/bk_4.dump")).And.NotContain(OffsiteBackupStorage.RemoteKey("shop/main/bk_3.dump"));
    }

    [Fact]
    public async Task A_database_store_that_cannot_be_reached_fails_on_its_own_and_the_others_copies_go_on()
    {
        await using var server = await S3Server.StartAsync();
        var (data, state, storages, local, _, health, storage) = OffsiteBed.Create("per-db-down");
        storages.Add(new OffsiteStorage("wide", server.Endpoint, S3Server.Bucket, "", "us-east-1", KeepLocal: true), S3Server.Key, S3Server.Key);
        storages.Add(new OffsiteStorage("mine", "http://127.0.0.1:1", S3Server.Bucket, "", "us-east-1", KeepLocal: false, Scope: "shop/main"), S3Server.Key, S3Server.Key);

        await PutAsync(storage, data, "shop/main/bk_1.dump");
        File.Exists(local.PathOf("shop/main/bk_1.dump")).Should().BeTrue("nothing local goes before its copy is in its store");
        health.Failing.Should().ContainSingle().Which.Storage.Should().Be("mine");

        await PutHereAsync(storage, data, "blog/main/bk_2.dump");
        (await storage.ShipPendingAsync([Verified("shop/main/bk_1.dump"), Verified("blog/main/bk_2.dump")], CancellationToken.None))
            .Should().Be(1, "the platform-wide store's copy goes although the database's store fails (and does not throw: its failure is its own)");
        health.Failing.Should().ContainSingle().Which.Storage.Should().Be("mine");
        health.Worked("wide");
        health.Failing.Should().ContainSingle("the platform-wide store working does not end the database's store's spell");
        state.ListPlatformEvents().Where(e => e.Kind == "offsite.copy-failed").Should().ContainSingle().Which.Message.Should().Contain("store mine");
    }

    [Fact]
    public async Task An_old_backup_goes_from_the_store_that_holds_it_while_its_databases_own_store_cannot_be_reached()
    {
        await using var server = await S3Server.StartAsync();
        var (data, _, storages, _, shipped, _, storage) = OffsiteBed.Create("per-db-delete");
        storages.Add(new OffsiteStorage("wide", server.Endpoint, S3Server.Bucket, "wide/", "us-east-1", KeepLocal: false), S3Server.Key, S3Server.Key);
        await PutAsync(storage, data, "shop/main/bk_0.dump");
        storages.Add(new OffsiteStorage("mine", "http://127.0.0.1:1", S3Server.Bucket, "", "us-east-1", KeepLocal: false, Scope: "shop/main"), S3Server.Key, S3Server.Key);

        await storage.DeleteAsync("shop/main/bk_0.dump", CancellationToken.None);

        using var wide = Bucket(server, "wide/");
        (await Keys(wide)).Should().BeEmpty("retention deletes the copy where it is; its own store never held it");
        shipped.Holders(OffsiteBackupStorage.RemoteKey("shop/main/bk_0.dump")).Should().BeEmpty();
    }

    [Fact]
    public async Task A_store_removed_while_a_copy_to_it_is_stuck_cancels_the_copy_and_the_backup_stays_here_recorded_nowhere()
    {
        await using var server = await S3Server.StartAsync();
        await using var proxy = PickyProxy.To(server.Endpoint);
        var (data, _, storages, local, shipped, health, storage) = OffsiteBed.Create("per-db-rm");
        storages.Add(new OffsiteStorage("mine", proxy.Endpoint, S3Server.Bucket, "mine/", "us-east-1", KeepLocal: false, Scope: "shop/main"), S3Server.Key, S3Server.Key);
        proxy.Hold("/mine/databases/");

        var put = PutAsync(storage, data, "shop/main/bk_1.dump");
        await proxy.Holding.WaitAsync(TimeSpan.FromSeconds(30));
        await storage.RemoveStoreAsync("mine", () => { }, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        await put.WaitAsync(TimeSpan.FromSeconds(30));
        proxy.Release();

        storages.List().Should().BeEmpty();
        File.Exists(local.PathOf("shop/main/bk_1.dump")).Should().BeTrue("the copy never finished: the file here is the backup's only copy");
        shipped.Keys("mine", "databases/").Should().BeEmpty("nothing is recorded under a store that is gone");
        health.Failing.Should().BeEmpty("a store removed under a copy is not a failing store");
    }

    [Fact]
    public async Task A_copy_that_read_its_store_before_rm_goes_nowhere_and_a_refused_rm_cancels_no_copy()
    {
        var (_, _, storages, _, _, _, storage) = OffsiteBed.Create("per-db-stale");
        storages.Add(new OffsiteStorage("mine", "http://127.0.0.1:1", "b", "old/", "us-east-1", KeepLocal: false, Scope: "shop/main"), "k", "s");
        var stale = storages.List().Single();

        using (var copy = storage.TryUse(stale, CancellationToken.None))
        {
            copy.Should().NotBeNull();
            var refused = () => storage.RemoveStoreAsync("mine", () => throw new UserException("holds the only copy", 409), CancellationToken.None);
            await refused.Should().ThrowAsync<UserException>();
            copy!.Token.IsCancellationRequested.Should().BeFalse("a refused rm leaves the uploads in flight alone");
        }
        await storage.RemoveStoreAsync("mine", () => { }, CancellationToken.None);
        storage.TryUse(stale, CancellationToken.None).Should().BeNull("the store is gone");
        storages.Add(new OffsiteStorage("mine", "http://127.0.0.1:2", "b", "new/", "us-east-1", KeepLocal: false, Scope: "shop/main"), "k", "s");
        storage.TryUse(stale, CancellationToken.None).Should().BeNull("a store added again under the name is another bucket: nothing read before goes there");
        using var fresh = storage.TryUse(storages.List().Single(), CancellationToken.None);
        fresh.Should().NotBeNull();
    }

    private static async Task<byte[]> PutAsync(OffsiteBackupStorage storage, string data, string key)
    {
        var (file, bytes) = await DumpAsync(data, key);
        await storage.PutAsync(key, file, CancellationToken.None);
        return bytes;
    }

    private static async Task PutHereAsync(OffsiteBackupStorage storage, string data, string key) =>
        await storage.PutHereAsync(key, (await DumpAsync(data, key)).File, CancellationToken.None);

    private static async Task<(string File, byte[] Bytes)> DumpAsync(string data, string key)
    {
        var file = Path.Combine(data, Path.GetFileName(key));
        var bytes = RandomNumberGenerator.GetBytes(4096);
        await File.WriteAllBytesAsync(file, bytes);
        return (file, bytes);
    }

    private static BackupRecord Verified(string key) =>
        new(Path.GetFileNameWithoutExtension(key), "db_1", key.Split('/')[0], "db", "manual", BackupStatus.Verified, key, 4096, null, null,
            UtcTime.Format(DateTimeOffset.UtcNow), null, null, null);

    private static OffsiteStorage Storage(string name, string? scope) => new(name, "http://127.0.0.1:1", "b", "", "us-east-1", true, scope);

    private static S3Bucket Bucket(S3Server server, string prefix) =>
        new(new S3Settings(server.Endpoint, S3Server.Bucket, prefix, "us-east-1", S3Server.Key, S3Server.Key));

    private static async Task<List<string>> Keys(S3Bucket bucket) =>
        (await bucket.ListAsync("databases/", CancellationToken.None)).Select(o => o.Key).ToList();
}
