using System.Security.Cryptography;
using Slipway.Config;
using Slipway.Databases;
using Slipway.Offsite;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Offsite;

/// <summary>A backup stored "here" (a safety backup taken while its app is shut out) waits for the shipper, even when the
/// store keeps nothing here; and retention deleting a backup while the shipper copies it (a real s3rver) leaves neither an
/// object nor a record behind.</summary>
public sealed class OffsiteCopyTurnsTests
{
    [Fact]
    public async Task A_backup_stored_here_waits_for_the_shipper_and_one_deleted_while_it_is_copied_leaves_nothing_in_the_store()
    {
        await using var server = await S3Server.StartAsync();
        var data = TempDirs.Create("offsite-turns");
        var state = new Store(Path.Combine(data, "slipway.db"), TimeProvider.System);
        var storages = new OffsiteStorages(state, new Keyring(data), TimeProvider.System);
        var local = new LocalBackupStorage(Path.Combine(data, "backups", "files"));
        var shipped = new ShippedObjects(state, TimeProvider.System);
        var storage = new OffsiteBackupStorage(local, storages, new BackupKeyring(data), shipped,
            new OffsiteHealth(state, storages, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<OffsiteHealth>.Instance));
        storages.Add(new OffsiteStorage("offsite", server.Endpoint, S3Server.Bucket, "", "us-east-1", KeepLocal: false), S3Server.Key, S3Server.Key);
        var store = storages.Default()!;
        using var bucket = new S3Bucket(storages.Settings(store));

        for (var round = 0; round < 3; round++)
        {
            var key = $"shop/main/bk_{round}.dump";
            var dump = Path.Combine(data, $"bk_{round}.dump");
            await File.WriteAllBytesAsync(dump, RandomNumberGenerator.GetBytes(16 * 1024 * 1024 + 17));
            await storage.PutHereAsync(key, dump, CancellationToken.None);
            File.Exists(local.PathOf(key)).Should().BeTrue("kept here until the shipper copied it, whatever the store's setting");
            (await bucket.ListAsync("databases/", CancellationToken.None)).Should().BeEmpty("nothing is uploaded on the way in");

            // Retention deletes it while the shipper copies it: early, mid-copy, or once it is done.
            var record = new BackupRecord($"bk_{round}", "db_1", "shop", "app_shop_main", BackupKind.Safety, BackupStatus.Verified, key, 0, null, null,
                UtcTime.Format(DateTimeOffset.UtcNow), null, null, null);
            var shipping = storage.ShipPendingAsync([record], CancellationToken.None);
            await Task.Delay(round * 150);
            await storage.DeleteAsync(key, CancellationToken.None);
            await shipping; // before turns, the copy found its file gone here and threw, leaving its object behind

            (await bucket.ListAsync("databases/", CancellationToken.None)).Should().BeEmpty($"round {round}: a delete waits for the copy under way, then removes its object too");
            shipped.Keys("offsite", "databases/").Should().BeEmpty();
            File.Exists(local.PathOf(key)).Should().BeFalse();
        }
    }
}
