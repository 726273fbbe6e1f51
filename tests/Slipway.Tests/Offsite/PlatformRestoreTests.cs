using Slipway.Databases;
using Slipway.Offsite;

namespace Slipway.Tests.Offsite;

/// <summary>Which snapshot restore-platform takes: the newest of the one platform that shipped; refused, naming each,
/// when two shipped over the same days (a drill beside the live machine); the newest before --at; --snapshot as given.
/// Which backup its first start falls back on: the newest verified one that can be read, naming the newer ones that
/// cannot.</summary>
public sealed class PlatformRestoreTests
{
    private static readonly DateTimeOffset Day = new(2026, 12, 1, 3, 0, 0, TimeSpan.Zero);

    private static PlatformManifest Snapshot(int day, string origin, string? restoredFrom = null, int hour = 0)
    {
        var at = Day.AddDays(day).AddHours(hour);
        return new PlatformManifest(1, at.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture), at, "test", "k1", ["state.db"], [],
            new PlatformOrigin(origin, origin + "-host", restoredFrom), "7301");
    }

    [Fact]
    public void One_platform_gives_its_newest_and_a_machine_rebuilt_after_it_is_its_successor_not_a_rival()
    {
        PlatformManifest[] lineage = [Snapshot(0, "a1"), Snapshot(1, "a1"), Snapshot(2, "a1"), Snapshot(4, "b2", restoredFrom: "a1"), Snapshot(5, "b2", restoredFrom: "a1")];

        PlatformRestore.Choose(lineage, null, null).Should().Be(lineage[4].Stamp);
        PlatformRestore.Choose(lineage, null, Day.AddDays(3)).Should().Be(lineage[2].Stamp, "--at takes the newest snapshot taken before it");
        PlatformRestore.Choose(lineage, lineage[1].Stamp, null).Should().Be(lineage[1].Stamp);
    }

    [Fact]
    public void Two_platforms_shipping_over_the_same_days_are_named_and_one_must_be_chosen()
    {
        PlatformManifest[] both = [Snapshot(0, "a1"), Snapshot(1, "a1"), Snapshot(1, "d9", restoredFrom: "a1", hour: 5), Snapshot(2, "a1"), Snapshot(2, "d9", restoredFrom: "a1", hour: 5)];

        var refused = () => PlatformRestore.Choose(both, null, null);

        refused.Should().Throw<UserException>().Which.Message.Should()
            .Contain("Two platforms shipped snapshots to this store over the same days")
            .And.Contain($"platform d9 on d9-host (restored from a1): 2 snapshot(s), the newest {both[4].Stamp}")
            .And.Contain($"platform a1 on a1-host: 3 snapshot(s), the newest {both[3].Stamp}")
            .And.Contain("--snapshot STAMP");
        PlatformRestore.Choose(both, both[3].Stamp, null).Should().Be(both[3].Stamp);
    }

    [Fact]
    public void An_at_before_every_snapshot_or_an_unknown_snapshot_is_refused_with_what_there_is()
    {
        PlatformManifest[] some = [Snapshot(1, "a1"), Snapshot(2, "a1")];

        ((Action)(() => PlatformRestore.Choose(some, null, Day))).Should().Throw<UserException>().Which.Message.Should().Contain($"the oldest is {some[0].Stamp}");
        ((Action)(() => PlatformRestore.Choose(some, "20200101T000000Z", null))).Should().Throw<UserException>().Which.Message.Should()
            .Contain("no complete snapshot 20200101T000000Z").And.Contain(some[1].Stamp);
    }

    [Fact]
    public void The_fallback_takes_the_newest_verified_backup_that_can_be_read_and_names_the_newer_ones_that_never_left_the_machine()
    {
        BackupRecord Backup(string id, int day, string status = BackupStatus.Verified) =>
            new(id, "db_1", "shop", "db_shop", BackupKind.Scheduled, status, $"shop/main/{id}.dump", 1, null, null, UtcTime.Format(Day.AddDays(day)), null, null, null);
        BackupRecord[] backups = [Backup("bk_5", 5, BackupStatus.Failed), Backup("bk_4", 4), Backup("bk_3", 3), Backup("bk_2", 2), Backup("bk_1", 1)];
        // Only the older ones are recorded as shipped to a store the restored platform knows (or have their file here).
        var readable = new HashSet<string>(["bk_2", "bk_1"]);

        var (backup, skipped) = RestoredPlatform.Restorable(backups, null, b => readable.Contains(b.Id));
        backup!.Id.Should().Be("bk_2");
        skipped.Select(b => b.Id).Should().Equal(["bk_4", "bk_3"], "the newer verified ones are named, newest first; a failed one is no backup");

        var before = RestoredPlatform.Restorable(backups, Day.AddDays(3.5), b => readable.Contains(b.Id));
        before.Backup!.Id.Should().Be("bk_2");
        before.Skipped.Select(b => b.Id).Should().Equal(["bk_3"], "one taken after --at is not a candidate at all");

        var none = RestoredPlatform.Restorable(backups, null, _ => false);
        none.Backup.Should().BeNull();
        none.Skipped.Select(b => b.Id).Should().Equal("bk_4", "bk_3", "bk_2", "bk_1");
    }
}
