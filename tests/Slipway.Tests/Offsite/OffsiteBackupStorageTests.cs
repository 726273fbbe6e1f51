using System.Security.Cryptography;
using Slipway.Config;
using Slipway.Databases;
using Slipway.Offsite;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Offsite;

/// <summary>Backups copied to a real S3-compatible store (s3rver): sealed before they leave, read back before the local
/// file goes, fetched and opened again; another backup key cannot open them.</summary>
public sealed class OffsiteBackupStorageTests
{
    [Fact]
    public async Task A_backup_leaves_sealed_the_local_file_goes_once_the_copy_is_checked_and_it_comes_back_whole()
    {
        await using var server = await S3Server.StartAsync();
        var data = TempDirs.Create("offsite-data");
        var state = new Store(Path.Combine(data, "slipway.db"), TimeProvider.System);
        var keyring = new Keyring(data);
        var storages = new OffsiteStorages(state, keyring, TimeProvider.System);
        var local = new LocalBackupStorage(Path.Combine(data, "backups", "files"));
        var storage = new OffsiteBackupStorage(local, storages, new BackupKeyring(data), new ShippedObjects(state, TimeProvider.System), Health(state, storages));
        storage.Describe("shop/main/bk_1.dump").Should().StartWith("local directory");
        storages.Add(new OffsiteStorage("offsite", server.Endpoint, S3Server.Bucket, "slipway/", "us-east-1", KeepLocal: false), S3Server.Key, S3Server.Key);
        storage.Describe("shop/main/bk_1.dump").Should().Be($"off-site store offsite (bucket {S3Server.Bucket} at {server.Endpoint})");

        var dump = Path.Combine(data, "bk_1.dump");
        var bytes = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        await File.WriteAllBytesAsync(dump, bytes);
        await storage.PutAsync("shop/main/bk_1.dump", dump, CancellationToken.None);

        File.Exists(local.PathOf("shop/main/bk_1.dump")).Should().BeFalse("kept off the machine only, by the store's setting");
        var stored = Directory.GetFiles(server.Dir, "*", SearchOption.AllDirectories).Where(f => new FileInfo(f).Length > bytes.Length).ToList();
        stored.Should().ContainSingle("one object holds the sealed backup");
        (await File.ReadAllBytesAsync(stored[0])).AsSpan().IndexOf(bytes.AsSpan(0, 32)).Should().Be(-1, "what leaves the machine is sealed");

        var scratch = TempDirs.Create("offsite-scratch");
        using (var fetched = await storage.FetchAsync("shop/main/bk_1.dump", scratch, CancellationToken.None))
        {
            (await File.ReadAllBytesAsync(fetched.Path)).Should().Equal(bytes);
        }
        Directory.GetFiles(scratch).Should().BeEmpty("the download goes once it was used");

        // A new machine with another backup key cannot open it, and says which key it needs.
        var other = new OffsiteBackupStorage(local, storages, new BackupKeyring(TempDirs.Create("offsite-other")), new ShippedObjects(state, TimeProvider.System), Health(state, storages));
        var wrongKey = async () => await other.FetchAsync("shop/main/bk_1.dump", scratch, CancellationToken.None);
        (await wrongKey.Should().ThrowAsync<UserException>()).Which.Message.Should().Contain("cannot be opened: it was sealed with backup key");

        await storage.DeleteAsync("shop/main/bk_1.dump", CancellationToken.None);
        using var bucket = new S3Bucket(storages.Settings(storages.Default()!));
        (await bucket.ListAsync("databases/", CancellationToken.None)).Should().BeEmpty();
    }

    [Fact]
    public async Task A_store_that_cannot_be_reached_keeps_the_backup_here_reports_it_and_the_copy_catches_up_later()
    {
        var data = TempDirs.Create("offsite-down");
        var state = new Store(Path.Combine(data, "slipway.db"), TimeProvider.System);
        var storages = new OffsiteStorages(state, new Keyring(data), TimeProvider.System);
        var local = new LocalBackupStorage(Path.Combine(data, "backups", "files"));
        var health = Health(state, storages);
        var storage = new OffsiteBackupStorage(local, storages, new BackupKeyring(data), new ShippedObjects(state, TimeProvider.System), health);
        storages.Add(new OffsiteStorage("offsite", "http://127.0.0.1:1", S3Server.Bucket, "", "us-east-1", KeepLocal: false), S3Server.Key, S3Server.Key);

        var dump = Path.Combine(data, "bk_2.dump");
        await File.WriteAllBytesAsync(dump, RandomNumberGenerator.GetBytes(4096));
        await storage.PutAsync("shop/main/bk_2.dump", dump, CancellationToken.None);

        File.Exists(local.PathOf("shop/main/bk_2.dump")).Should().BeTrue("nothing local goes before its copy is in the store");
        health.Failing.Should().ContainSingle(f => f.Storage == "offsite");
        state.ListPlatformEvents().Should().ContainSingle(e => e.Kind == "offsite.copy-failed");

        await using var server = await S3Server.StartAsync();
        storages.Remove("offsite");
        storages.Add(new OffsiteStorage("offsite", server.Endpoint, S3Server.Bucket, "", "us-east-1", KeepLocal: false), S3Server.Key, S3Server.Key);
        var record = new BackupRecord("bk_2", "db_1", "shop", "app_shop_main", "manual", BackupStatus.Verified, "shop/main/bk_2.dump", 4096, null, null,
            UtcTime.Format(DateTimeOffset.UtcNow), null, null, null);
        (await storage.ShipPendingAsync([record], CancellationToken.None)).Should().Be(1);
        (await storage.ShipPendingAsync([record], CancellationToken.None)).Should().Be(0, "each goes once");
        using (var bucket = new S3Bucket(storages.Settings(storages.Default()!)))
        {
            (await bucket.ListAsync("databases/", CancellationToken.None)).Should().ContainSingle();
        }
        File.Exists(local.PathOf("shop/main/bk_2.dump")).Should().BeFalse("copied and read back: now the store's setting applies");
    }

    private static OffsiteHealth Health(Store state, OffsiteStorages storages) =>
        new(state, storages, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<OffsiteHealth>.Instance);
}
