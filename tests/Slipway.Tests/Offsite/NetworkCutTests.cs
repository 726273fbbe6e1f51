using System.Security.Cryptography;
using Slipway.Config;
using Slipway.Databases;
using Slipway.Offsite;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Offsite;

/// <summary>The network between the platform and a real store (s3rver) cut mid-upload by a proxy that resets the
/// connection: a cut once is retried into a whole object; a cut that lasts fails the copy with nothing recorded as
/// shipped and nothing local deleted, and the copy goes once the network is back.</summary>
public sealed class NetworkCutTests
{
    private static readonly int Size = (int)(S3Bucket.PartSize + S3Bucket.PartSize / 4);

    [Fact]
    public async Task A_connection_cut_mid_part_is_retried_and_the_stored_object_is_whole()
    {
        await using var server = await S3Server.StartAsync();
        await using var proxy = CuttingProxy.To(server.Endpoint);
        using var bucket = new S3Bucket(new S3Settings(proxy.Endpoint, S3Server.Bucket, "", "us-east-1", S3Server.Key, S3Server.Key));
        var file = Path.Combine(TempDirs.Create("cut-once"), "base.tar.gz");
        var bytes = RandomNumberGenerator.GetBytes(Size);
        await File.WriteAllBytesAsync(file, bytes);

        proxy.CutOnceAfter(S3Bucket.PartSize / 2);
        var sha = await bucket.PutAsync("base/71/x/base.tar.gz.sealed", file, CancellationToken.None);

        proxy.Cuts.Should().Be(1, "the first part's connection was reset half way");
        sha.Should().Be(Convert.ToHexStringLower(SHA256.HashData(bytes)));
        var back = file + ".back";
        await bucket.GetAsync("base/71/x/base.tar.gz.sealed", back, CancellationToken.None);
        (await File.ReadAllBytesAsync(back)).Should().Equal(bytes);
    }

    [Fact]
    public async Task A_network_that_stays_cut_records_nothing_deletes_nothing_and_the_copy_goes_once_it_is_back()
    {
        await using var server = await S3Server.StartAsync();
        await using var proxy = CuttingProxy.To(server.Endpoint);
        var data = TempDirs.Create("cut-for-good");
        var state = new Store(Path.Combine(data, "slipway.db"), TimeProvider.System);
        var storages = new OffsiteStorages(state, new Keyring(data), TimeProvider.System);
        storages.Add(new OffsiteStorage("offsite", proxy.Endpoint, S3Server.Bucket, "", "us-east-1", KeepLocal: false), S3Server.Key, S3Server.Key);
        var local = new LocalBackupStorage(Path.Combine(data, "backups", "files"));
        var shipped = new ShippedObjects(state, TimeProvider.System);
        var health = new OffsiteHealth(state, storages, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<OffsiteHealth>.Instance);
        var storage = new OffsiteBackupStorage(local, storages, new BackupKeyring(data), shipped, health);
        var dump = Path.Combine(data, "bk_1.dump");
        var bytes = RandomNumberGenerator.GetBytes(Size);
        await File.WriteAllBytesAsync(dump, bytes);

        proxy.CutForGoodAfter(S3Bucket.PartSize / 2);
        await storage.PutAsync("shop/main/bk_1.dump", dump, CancellationToken.None);

        proxy.Cuts.Should().BeGreaterThan(1, "the SDK tried the part again, and every try was cut");
        File.Exists(local.PathOf("shop/main/bk_1.dump")).Should().BeTrue("the store setting says no local copy, but nothing local goes before the store has it");
        shipped.Keys("offsite", "").Should().BeEmpty("a half object is never recorded as good");
        using (var direct = new S3Bucket(new S3Settings(server.Endpoint, S3Server.Bucket, "", "us-east-1", S3Server.Key, S3Server.Key)))
        {
            (await direct.ListAsync("", CancellationToken.None)).Should().BeEmpty("the multipart upload was never completed");
        }
        health.Failing.Should().ContainSingle(f => f.Storage == "offsite");
        state.ListPlatformEvents().Should().ContainSingle(e => e.Kind == "offsite.copy-failed").Which.Message.Should().Contain("could not be reached");

        proxy.Heal();
        var record = new BackupRecord("bk_1", "db_1", "shop", "app_shop_main", "manual", BackupStatus.Verified, "shop/main/bk_1.dump", Size, null, null,
            UtcTime.Format(DateTimeOffset.UtcNow), null, null, null);
        (await storage.ShipPendingAsync([record], CancellationToken.None)).Should().Be(1);
        shipped.Keys("offsite", "databases/").Should().Equal(OffsiteBackupStorage.RemoteKey("shop/main/bk_1.dump"));
        File.Exists(local.PathOf("shop/main/bk_1.dump")).Should().BeFalse("copied and read back: the store's setting applies now");
        var scratch = TempDirs.Create("cut-scratch");
        using var fetched = await storage.FetchAsync("shop/main/bk_1.dump", scratch, CancellationToken.None);
        (await File.ReadAllBytesAsync(fetched.Path)).Should().Equal(bytes);
    }
}
