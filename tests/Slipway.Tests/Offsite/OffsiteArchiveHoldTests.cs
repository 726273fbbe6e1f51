using Slipway.Config;
using Slipway.Offsite;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Offsite;

/// <summary>The local archive's pruning keeps what the store does not hold yet.</summary>
public sealed class OffsiteArchiveHoldTests
{
    [Fact]
    public void Segments_and_base_backups_not_shipped_to_the_default_store_are_held_and_nothing_is_held_without_a_store()
    {
        var data = TempDirs.Create("hold");
        var state = new Store(Path.Combine(data, "slipway.db"), TimeProvider.System);
        var storages = new OffsiteStorages(state, new Keyring(data), TimeProvider.System);
        var shipped = new ShippedObjects(state, TimeProvider.System);
        var hold = new OffsiteArchiveHold(storages, shipped);
        var archive = Directory.CreateDirectory(Path.Combine(data, "wal-archive")).FullName;
        var sent = Path.Combine(archive, "000000010000000000000001.gz");
        var notSent = Path.Combine(archive, "000000010000000000000002.gz");
        File.WriteAllText(sent, "x");
        File.WriteAllText(notSent, "x");
        var baseSent = Directory.CreateDirectory(Path.Combine(data, "base", "20261201T030000000Z")).FullName;
        var baseHalf = Directory.CreateDirectory(Path.Combine(data, "base", "20261202T030000000Z")).FullName;
        string[] paths = [sent, notSent, baseSent, baseHalf];

        hold.Unshipped(paths).Should().BeEmpty("without a store there is nothing to wait for");

        storages.Add(new OffsiteStorage("offsite", "http://127.0.0.1:1", "b", "", "us-east-1", KeepLocal: true), "k", "s");
        shipped.Add("offsite", "wal/7301/000000010000000000000001.gz.sealed", 1);
        shipped.Add("offsite", "base/7301/20261201T030000000Z/base.tar.gz.sealed", 1);
        shipped.Add("offsite", "base/7301/20261201T030000000Z/finished.sealed", 1);
        shipped.Add("offsite", "base/7301/20261202T030000000Z/base.tar.gz.sealed", 1);

        hold.Unshipped(paths).Should().BeEquivalentTo([notSent, baseHalf], "a base backup counts once its last object, finished, is there");
    }
}
