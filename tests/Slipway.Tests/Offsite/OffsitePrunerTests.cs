using Microsoft.Extensions.Logging.Abstractions;
using Slipway.Config;
using Slipway.Databases;
using Slipway.Offsite;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Offsite;

/// <summary>Retention in the store: the plan from a listing (exact), then the whole prune against a real s3rver.</summary>
public sealed class OffsitePrunerTests
{
    private static readonly DateTime Now = new(2026, 12, 20, 12, 0, 0, DateTimeKind.Utc);

    private static StoredObject At(string key, DateTime at) => new(key, 1, at);

    private static string Stamp(DateTime at) => at.ToString("yyyyMMdd'T'HHmmssfff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void The_plan_keeps_the_window_the_newest_base_before_it_its_wal_and_the_newest_snapshots()
    {
        var (d1, d3, d9, d12) = (Now.AddDays(-1), Now.AddDays(-3), Now.AddDays(-9), Now.AddDays(-12));
        var uploading = Now.AddHours(-2);
        var dead = Now.AddDays(-3).AddHours(-5);
        List<StoredObject> bases =
        [
            // Cluster 71 (this machine): inside the window, the newest before it, one older, an upload on its way, one that died.
            At($"base/71/{Stamp(d1)}/base.tar.gz.sealed", d1), At($"base/71/{Stamp(d1)}/finished.sealed", d1),
            At($"base/71/{Stamp(d3)}/base.tar.gz.sealed", d3), At($"base/71/{Stamp(d3)}/finished.sealed", d3),
            At($"base/71/{Stamp(d9)}/base.tar.gz.sealed", d9), At($"base/71/{Stamp(d9)}/finished.sealed", d9),
            At($"base/71/{Stamp(d12)}/base.tar.gz.sealed", d12), At($"base/71/{Stamp(d12)}/finished.sealed", d12),
            At($"base/71/{Stamp(uploading)}/base.tar.gz.sealed", uploading),
            At($"base/71/{Stamp(dead)}/base.tar.gz.sealed", dead),
            // Cluster 50 (the machine before a restore): nothing inside the window, and 71 has: it goes whole.
            At($"base/50/{Stamp(d12)}/base.tar.gz.sealed", d12), At($"base/50/{Stamp(d12)}/finished.sealed", d12),
        ];
        List<StoredObject> wal =
        [
            At("wal/71/000000010000000000000001.gz.sealed", d12),                 // before d9's base: goes
            At("wal/71/000000010000000000000002.gz.sealed", d9.AddMinutes(-10)),  // before d9's start by more than 5 min: goes
            At("wal/71/000000010000000000000003.gz.sealed", d9.AddMinutes(-2)),   // within the 5 minutes' margin: stays
            At("wal/71/000000010000000000000004.gz.sealed", d3),                  // stays
            At("wal/50/000000010000000000000009.gz.sealed", Now.AddDays(-8)),     // its cluster goes: goes
            At("wal/88/000000010000000000000001.gz.sealed", Now.AddDays(-8)),     // a cluster with no base yet: by the window
            At("wal/88/000000010000000000000002.gz.sealed", Now.AddDays(-6)),
        ];
        var (s1, s2, s3) = (Stamp(Now.AddDays(-1)), Stamp(Now.AddDays(-2)), Stamp(Now.AddDays(-3)));
        var s0 = Stamp(Now.AddMinutes(-1));
        var sDead = Stamp(Now.AddDays(-4));
        List<StoredObject> snapshots =
        [
            At($"platform/{s0}/state.db.sealed", Now.AddMinutes(-1)),             // on its way (no manifest yet): stays
            At($"platform/{s1}/state.db.sealed", Now.AddDays(-1)), At($"platform/{s1}/manifest.json.sealed", Now.AddDays(-1)),
            At($"platform/{s2}/state.db.sealed", Now.AddDays(-2)), At($"platform/{s2}/manifest.json.sealed", Now.AddDays(-2)),
            At($"platform/{s3}/state.db.sealed", Now.AddDays(-3)), At($"platform/{s3}/manifest.json.sealed", Now.AddDays(-3)),
            At($"platform/{sDead}/state.db.sealed", Now.AddDays(-4)),              // died a day ago or more: goes
        ];

        var origins = new Dictionary<string, string> { [s1] = "a1", [s2] = "a1", [s3] = "a1" };
        var plan = OffsitePruner.Plan(bases, wal, snapshots, origins, Now, TimeSpan.FromDays(7), keepSnapshots: 2, ownSystem: "71", ownOrigin: "a1");

        plan.Doomed.Should().BeEquivalentTo(
        [
            $"base/71/{Stamp(d12)}/base.tar.gz.sealed", $"base/71/{Stamp(d12)}/finished.sealed",
            $"base/71/{Stamp(dead)}/base.tar.gz.sealed",
            $"base/50/{Stamp(d12)}/base.tar.gz.sealed", $"base/50/{Stamp(d12)}/finished.sealed",
            "wal/71/000000010000000000000001.gz.sealed", "wal/71/000000010000000000000002.gz.sealed",
            "wal/50/000000010000000000000009.gz.sealed",
            "wal/88/000000010000000000000001.gz.sealed",
            $"platform/{s3}/state.db.sealed", $"platform/{s3}/manifest.json.sealed",
            $"platform/{sDead}/state.db.sealed",
        ]);
        plan.KeptSnapshots.Should().Equal(s1, s2);
        plan.OldestKeptSnapshot.Should().Be(Now.AddDays(-2));

        var sources = new List<StoredObject>
        {
            At("sources/shop/b1.tar.sealed", Now.AddDays(-5)),  // named by a kept snapshot
            At("sources/shop/b2.tar.sealed", Now.AddDays(-5)),  // a build here still uses it
            At("sources/shop/b3.tar.sealed", Now.AddDays(-5)),  // neither: goes
            At("sources/shop/b4.tar.sealed", Now.AddHours(-1)), // newer than the oldest kept snapshot: the next one names it
        };
        OffsitePruner.UnusedSources(sources, new HashSet<string> { "sources/shop/b1.tar.sealed" }, new HashSet<string> { "sources/shop/b2.tar.sealed" }, plan.OldestKeptSnapshot)
            .Should().Equal("sources/shop/b3.tar.sealed");
    }

    [Fact]
    public void A_lone_cluster_keeps_its_newest_base_backup_however_old()
    {
        var old = Now.AddDays(-30);
        List<StoredObject> bases = [At($"base/71/{Stamp(old)}/base.tar.gz.sealed", old), At($"base/71/{Stamp(old)}/finished.sealed", old)];
        List<StoredObject> wal = [At("wal/71/000000010000000000000001.gz.sealed", old.AddMinutes(1)), At("wal/71/000000010000000000000000.gz.sealed", old.AddHours(-1))];

        OffsitePruner.Plan(bases, wal, [], NoOrigins, Now, TimeSpan.FromDays(7), 14, ownSystem: null, ownOrigin: null).Doomed
            .Should().Equal(["wal/71/000000010000000000000000.gz.sealed"], "the only way back is that base backup and the WAL after it");
    }

    private static readonly Dictionary<string, string> NoOrigins = [];

    [Fact]
    public void This_machines_cluster_is_never_replaced_by_another_and_an_unfinished_base_younger_than_a_day_stays()
    {
        // This machine's base uploads have failed for longer than the window, while a drill's cluster (88) shipped one.
        var (d10, d2) = (Now.AddDays(-10), Now.AddDays(-2));
        var uploading = Now.AddHours(-3);
        List<StoredObject> bases =
        [
            At($"base/71/{Stamp(d10)}/base.tar.gz.sealed", d10), At($"base/71/{Stamp(d10)}/finished.sealed", d10),
            At($"base/71/{Stamp(uploading)}/base.tar.gz.sealed", uploading),
            At($"base/88/{Stamp(d2)}/base.tar.gz.sealed", d2), At($"base/88/{Stamp(d2)}/finished.sealed", d2),
            // Another machine's first base backup on its way: its cluster has no finished one yet.
            At($"base/90/{Stamp(uploading)}/base.tar.gz.sealed", uploading),
        ];
        List<StoredObject> wal =
        [
            At("wal/71/000000010000000000000001.gz.sealed", d10.AddHours(-1)),  // before 71's kept base: goes
            At("wal/71/000000010000000000000002.gz.sealed", d10.AddHours(1)),
            At("wal/71/000000010000000000000003.gz.sealed", Now.AddMinutes(-1)),
            At("wal/90/000000010000000000000001.gz.sealed", Now.AddDays(-8)),  // no finished base: by the window
            At("wal/90/000000010000000000000002.gz.sealed", Now.AddHours(-1)),
        ];

        OffsitePruner.Plan(bases, wal, [], NoOrigins, Now, TimeSpan.FromDays(7), 14, ownSystem: "71", ownOrigin: null).Doomed.Should().BeEquivalentTo(
            ["wal/71/000000010000000000000001.gz.sealed", "wal/90/000000010000000000000001.gz.sealed"],
            "this machine keeps its newest base and the WAL after it, however long its uploads fail; no upload younger than a day goes");

        OffsitePruner.Plan(bases, wal, [], NoOrigins, Now, TimeSpan.FromDays(7), 14, ownSystem: "88", ownOrigin: null).Doomed.Should().BeEquivalentTo(
            [
                $"base/71/{Stamp(d10)}/base.tar.gz.sealed", $"base/71/{Stamp(d10)}/finished.sealed",
                "wal/71/000000010000000000000001.gz.sealed", "wal/71/000000010000000000000002.gz.sealed", "wal/71/000000010000000000000003.gz.sealed",
                "wal/90/000000010000000000000001.gz.sealed",
            ],
            "seen from the machine that replaced it, 71 goes whole but for the upload still younger than a day");
    }

    [Fact]
    public void Snapshots_are_kept_per_origin_and_an_origin_silent_for_30_days_goes_once_another_ships()
    {
        string Snap(int daysAgo) => Stamp(Now.AddDays(-daysAgo));
        List<StoredObject> Complete(int daysAgo) =>
            [At($"platform/{Snap(daysAgo)}/state.db.sealed", Now.AddDays(-daysAgo)), At($"platform/{Snap(daysAgo)}/manifest.json.sealed", Now.AddDays(-daysAgo))];
        // live: this platform, 1..3 days ago; drill: a restore drill 40 and 41 days ago; old: made before origins (""), 2
        // and 5 days ago; 4 days ago a snapshot whose manifest cannot be read; 6 days ago one cut short a day ago or more.
        List<StoredObject> snapshots =
        [
            .. Complete(1), .. Complete(2), .. Complete(3), .. Complete(40), .. Complete(41), .. Complete(5), .. Complete(4),
            At($"platform/{Snap(6)}/state.db.sealed", Now.AddDays(-6)),
        ];
        List<StoredObject> olds = [At($"platform/{Snap(7)}/state.db.sealed", Now.AddDays(-7)), At($"platform/{Snap(7)}/manifest.json.sealed", Now.AddDays(-7))];
        var origins = new Dictionary<string, string>
        {
            [Snap(1)] = "live", [Snap(2)] = "live", [Snap(3)] = "live", [Snap(40)] = "drill", [Snap(41)] = "drill", [Snap(5)] = "", [Snap(7)] = "",
        };

        var plan = OffsitePruner.Plan([], [], [.. snapshots, .. olds], origins, Now, TimeSpan.FromDays(7), keepSnapshots: 2, ownSystem: null, ownOrigin: "live");

        plan.Doomed.Should().BeEquivalentTo(
        [
            .. Complete(3).Select(o => o.Key), .. Complete(40).Select(o => o.Key), .. Complete(41).Select(o => o.Key),
            $"platform/{Snap(6)}/state.db.sealed",
        ]);
        plan.KeptSnapshots.Should().Equal(Snap(1), Snap(2), Snap(4), Snap(5), Snap(7));
        plan.OldestKeptSnapshot.Should().Be(Now.AddDays(-7));

        OffsitePruner.Plan([], [], [.. Complete(40), .. Complete(41)], new Dictionary<string, string> { [Snap(40)] = "drill", [Snap(41)] = "drill" },
            Now, TimeSpan.FromDays(7), keepSnapshots: 2, ownSystem: null, ownOrigin: "live").Doomed
            .Should().BeEmpty("an origin silent for 30 days stays while no other has shipped since: it is all there is");
        OffsitePruner.Plan([], [], [.. Complete(1), .. Complete(40)], new Dictionary<string, string> { [Snap(1)] = "drill", [Snap(40)] = "live" },
            Now, TimeSpan.FromDays(7), keepSnapshots: 2, ownSystem: null, ownOrigin: "live").Doomed
            .Should().BeEmpty("this platform's own snapshots stay however long its copies have failed");
    }

    [Fact]
    public void Keys_of_another_shape_are_left_alone()
    {
        var old = Now.AddDays(-30);
        List<StoredObject> odd = [At("base/", old), At("base/x", old), At("base/x/y", old), At("wal/", old), At("wal/x", old), At("platform/", old), At("platform/x", old)];

        OffsitePruner.Plan(odd.Where(o => o.Key.StartsWith("base/", StringComparison.Ordinal)).ToList(), odd.Where(o => o.Key.StartsWith("wal/", StringComparison.Ordinal)).ToList(),
            odd.Where(o => o.Key.StartsWith("platform/", StringComparison.Ordinal)).ToList(), NoOrigins, Now, TimeSpan.FromDays(7), 14, "71", "live")
            .Doomed.Should().BeEmpty("a \"folder\" made in a console is not a backup");
    }

    [Fact]
    public async Task Pruning_a_real_store_deletes_what_the_plan_says_from_every_snapshots_manifest_and_forgets_the_shipped_rows()
    {
        await using var server = await S3Server.StartAsync();
        var data = TempDirs.Create("prune");
        var state = new Store(Path.Combine(data, "slipway.db"), TimeProvider.System);
        var storages = new OffsiteStorages(state, new Keyring(data), TimeProvider.System);
        storages.Add(new OffsiteStorage("offsite", server.Endpoint, S3Server.Bucket, "slipway/", "us-east-1", KeepLocal: true), S3Server.Key, S3Server.Key);
        var keys = new BackupKeyring(data);
        var shipped = new ShippedObjects(state, TimeProvider.System);
        using var bucket = new S3Bucket(storages.Settings(storages.Default()!));
        var scratch = Path.Combine(data, "run", "offsite");
        var file = Path.Combine(data, "object");
        await File.WriteAllTextAsync(file, "x");

        // Written now, pruned as if a store kept them: the pruner's clock is moved on instead of the objects back. The
        // store's times are whole seconds, so the sources go up a second before the snapshots.
        var written = DateTime.UtcNow;
        var old = Stamp(written.AddMinutes(-1));
        var objects = new List<string>
        {
            $"base/71/{old}/base.tar.gz.sealed", $"base/71/{old}/finished.sealed", "wal/71/000000010000000000000001.gz.sealed",
            "sources/shop/named.tar.sealed", "sources/shop/unnamed.tar.sealed",
        };
        foreach (var key in objects)
        {
            await SealedObjects.PutAsync(bucket, key, file, keys.Current, scratch, CancellationToken.None);
            shipped.Add("offsite", key, 1);
        }
        await Task.Delay(1100);
        // The oldest snapshot was taken by a restore drill (another origin); the two newer ones by a platform from before
        // origins were recorded ("").
        string[] snapshots = [Stamp(written.AddSeconds(1)), Stamp(written.AddSeconds(2)), Stamp(written.AddSeconds(3))];
        foreach (var stamp in snapshots)
        {
            var manifest = Path.Combine(data, stamp + ".json");
            await File.WriteAllBytesAsync(manifest, new PlatformManifest(1, stamp, DateTimeOffset.UtcNow, "test", "mk", ["state.db"],
                [new PlatformSource("shop", "named", PlatformSource.KeyOf("shop", "named"))],
                stamp == snapshots[0] ? new PlatformOrigin("d1", "drill-vm", null) : null).ToJson());
            await SealedObjects.PutAsync(bucket, PlatformManifest.KeyOf(stamp, "state.db"), file, keys.Current, scratch, CancellationToken.None);
            await SealedObjects.PutAsync(bucket, PlatformManifest.KeyOf(stamp, "manifest.json"), manifest, keys.Current, scratch, CancellationToken.None);
            shipped.Add("offsite", PlatformManifest.KeyOf(stamp, "state.db"), 1);
            shipped.Add("offsite", PlatformManifest.KeyOf(stamp, "manifest.json"), 1);
        }

        var clock = new ManualClock(written.AddDays(30));
        var pruner = new OffsitePruner(keys, shipped, state, new DatabasesOptions { DataDir = data }, new OffsiteOptions { KeepPlatformSnapshots = 1 },
            clock, NullLogger<OffsitePruner>.Instance);
        // The newest snapshot sealed with another platform's key cannot be read: it stays, and no source goes, since what
        // it names is unknown. Each origin keeps its newest readable one.
        var foreign = new BackupKeyring(TempDirs.Create("prune-foreign"));
        await SealedObjects.PutAsync(bucket, PlatformManifest.KeyOf(snapshots[2], "manifest.json"), Path.Combine(data, snapshots[2] + ".json"), foreign.Current, scratch, CancellationToken.None);
        (await pruner.PruneAsync(bucket, "offsite", ownSystem: "71", CancellationToken.None)).Should().Be(0, "each origin keeps its newest, the unreadable one stays");
        (await bucket.ListAsync("sources/", CancellationToken.None)).Should().HaveCount(2);
        await SealedObjects.PutAsync(bucket, PlatformManifest.KeyOf(snapshots[2], "manifest.json"), Path.Combine(data, snapshots[2] + ".json"), keys.Current, scratch, CancellationToken.None);

        (await pruner.PruneAsync(bucket, "offsite", ownSystem: "71", CancellationToken.None)).Should().Be(3, "the older snapshot of origin \"\" and the source no kept one names go");

        var left = (await bucket.ListAsync("", CancellationToken.None)).Select(o => o.Key).ToList();
        left.Should().BeEquivalentTo(
        [
            $"base/71/{old}/base.tar.gz.sealed", $"base/71/{old}/finished.sealed", "wal/71/000000010000000000000001.gz.sealed",
            "sources/shop/named.tar.sealed",
            PlatformManifest.KeyOf(snapshots[0], "state.db"), PlatformManifest.KeyOf(snapshots[0], "manifest.json"),
            PlatformManifest.KeyOf(snapshots[2], "state.db"), PlatformManifest.KeyOf(snapshots[2], "manifest.json"),
        ], "a lone cluster keeps its newest base backup and the WAL after it however old; each origin its newest snapshot; the source only the pruned one named goes");
        shipped.Keys("offsite", "platform/").Should().BeEquivalentTo(left.Where(k => k.StartsWith("platform/", StringComparison.Ordinal)), "a pruned object's row goes with it");
        shipped.Keys("offsite", "sources/").Should().BeEquivalentTo(["sources/shop/named.tar.sealed"]);
    }

    [Fact]
    public async Task A_prune_the_store_refuses_is_one_event_per_spell_and_never_a_failed_round()
    {
        var server = await S3Server.StartAsync();
        var endpoint = server.Endpoint;
        await server.DisposeAsync();
        var data = TempDirs.Create("prune-gone");
        var state = new Store(Path.Combine(data, "slipway.db"), TimeProvider.System);
        var pruner = new OffsitePruner(new BackupKeyring(data), new ShippedObjects(state, TimeProvider.System), state, new DatabasesOptions { DataDir = data },
            new OffsiteOptions(), TimeProvider.System, NullLogger<OffsitePruner>.Instance);
        using var gone = new S3Bucket(new S3Settings(endpoint, S3Server.Bucket, "", "us-east-1", S3Server.Key, S3Server.Key));

        await pruner.PruneOrReportAsync(gone, "offsite", "71", CancellationToken.None);
        await pruner.PruneOrReportAsync(gone, "offsite", "71", CancellationToken.None);

        state.ListPlatformEvents().Should().ContainSingle().Which.Should().Match<EventRecord>(e => e.Kind == "offsite.prune-failed" && e.Message.Contains("could not be reached"));
    }

    [Fact]
    public async Task A_databases_own_store_has_its_dead_multipart_uploads_aborted_and_nothing_outside_its_prefix()
    {
        await using var moto = await MotoServer.StartAsync();
        using var client = moto.Client();
        await client.InitiateMultipartUploadAsync(MotoServer.Bucket, "mine/databases/shop/main/bk_1.dump.sealed");
        await client.InitiateMultipartUploadAsync(MotoServer.Bucket, "wide/base/71/x/base.tar.gz.sealed");
        var data = TempDirs.Create("prune-own");
        var state = new Store(Path.Combine(data, "slipway.db"), TimeProvider.System);
        // moto dates every upload 2010-11-10: any clock of today finds them over a day old.
        var pruner = new OffsitePruner(new BackupKeyring(data), new ShippedObjects(state, TimeProvider.System), state, new DatabasesOptions { DataDir = data },
            new OffsiteOptions(), TimeProvider.System, NullLogger<OffsitePruner>.Instance);

        await pruner.AbortDeadUploadsOrReportAsync(new S3Settings(moto.Endpoint, MotoServer.Bucket, "mine/", "us-east-1", MotoServer.Key, MotoServer.Key), "mine", CancellationToken.None);

        (await client.ListMultipartUploadsAsync(MotoServer.Bucket)).MultipartUploads.Select(u => u.Key).Should().Equal(["wide/base/71/x/base.tar.gz.sealed"]);
    }
}
