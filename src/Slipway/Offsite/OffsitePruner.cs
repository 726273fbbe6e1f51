using System.Globalization;
using Microsoft.Extensions.Logging;
using Slipway.Databases;
using Slipway.State;

namespace Slipway.Offsite;

/// <summary>Retention in the store, hourly from the shipper. The store keeps what the machine keeps:
///
///   base/SYSID/STAMP/   per cluster, the finished base backups inside the recovery window and the newest before it;
///                       a cluster with none inside goes whole once another has one (the cluster that replaced it on a
///                       new machine); an unfinished one goes a day after its last object (an upload that died)
///   wal/SYSID/          each cluster's WAL from 5 minutes before its oldest kept base backup started (by the
///                       objects' times: a segment is uploaded after it was archived); a cluster with no base backup
///                       in the store yet keeps its WAL for the window
///   platform/STAMP/     the newest <see cref="OffsiteOptions.KeepPlatformSnapshots"/> complete snapshots (manifest last)
///   sources/            a build's source while a kept snapshot names it or a build here uses it
///
/// <see cref="Plan"/> decides from the store's listing alone (exact tests); <see cref="PruneAsync"/> lists, reads the kept
/// snapshots' manifests, and deletes. Database backups are not pruned here: they go with their record (local retention
/// deletes both copies through <see cref="OffsiteBackupStorage.DeleteAsync"/>).</summary>
internal sealed partial class OffsitePruner(BackupKeyring keys, ShippedObjects shipped, Store store, DatabasesOptions databaseOptions, OffsiteOptions options,
    TimeProvider clock, ILogger<OffsitePruner> logger)
{
    public async Task<int> PruneAsync(S3Bucket bucket, string storage, CancellationToken token)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var plan = Plan(await bucket.ListAsync("base/", token), await bucket.ListAsync("wal/", token), await bucket.ListAsync(PlatformManifest.Prefix, token),
            now, databaseOptions.PitrWindow, options.KeepPlatformSnapshots);
        var doomed = plan.Doomed.ToList();
        // A snapshot that cannot be read keeps every source: what it names is not known.
        var named = new HashSet<string>(StringComparer.Ordinal);
        var scratch = Path.Combine(databaseOptions.DataDir, "run", "offsite");
        foreach (var stamp in plan.KeptSnapshots)
        {
            var file = Path.Combine(scratch, Guid.NewGuid().ToString("N") + ".json");
            try
            {
                await SealedObjects.GetAsync(bucket, PlatformManifest.KeyOf(stamp, "manifest.json"), file, keys.Find, scratch, token);
                named.UnionWith(PlatformManifest.Parse(file).Sources.Select(source => source.Key));
            }
            catch (Exception e) when (e is UserException or System.Text.Json.JsonException)
            {
                named = null;
                break;
            }
            finally
            {
                File.Delete(file);
            }
        }
        if (named is not null)
        {
            var used = store.ListApps().SelectMany(a => store.ListBuilds(a.Name)).Where(b => b.Pruned == 0)
                .Select(b => PlatformSource.KeyOf(b.App, b.Id)).ToHashSet(StringComparer.Ordinal);
            doomed.AddRange(UnusedSources(await bucket.ListAsync("sources/", token), named, used, plan.OldestKeptSnapshot));
        }
        foreach (var key in doomed)
        {
            await bucket.DeleteAsync(key, token);
            shipped.Forget(storage, [key]);
        }
        if (doomed.Count > 0)
        {
            LogPruned(logger, storage, doomed.Count);
        }
        return doomed.Count;
    }

    /// <summary>What goes from base/, wal/ and platform/ (keys below the prefix), and which complete snapshots stay
    /// (newest first) with the oldest one's time.</summary>
    public static RetentionPlan Plan(IReadOnlyList<StoredObject> bases, IReadOnlyList<StoredObject> wal, IReadOnlyList<StoredObject> snapshots,
        DateTime now, TimeSpan window, int keepSnapshots)
    {
        var doomed = new List<string>();
        var cutoff = now - window;
        var abandoned = now - TimeSpan.FromDays(1);
        var systems = bases.GroupBy(o => o.Key.Split('/')[1])
            .Select(system => (Id: system.Key, Stamps: system.GroupBy(o => o.Key.Split('/')[2])
                .Select(g => new Group(g.Key, g.ToList(), g.Any(o => o.Key.EndsWith("/finished.sealed", StringComparison.Ordinal)), g.Max(o => o.LastModified)))
                .OrderByDescending(st => st.At).ToList()))
            .ToList();
        var walOf = wal.GroupBy(o => o.Key.Split('/')[1]).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var inside = systems.Where(sy => sy.Stamps.Any(st => st.Complete && st.At >= cutoff)).Select(sy => sy.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var (id, stamps) in systems)
        {
            var complete = stamps.Where(st => st.Complete).ToList();
            var keep = complete.TakeWhile(st => st.At >= cutoff).Concat(complete.SkipWhile(st => st.At >= cutoff).Take(1)).ToList();
            if (!inside.Contains(id) && inside.Count > 0)
            {
                keep.Clear();
            }
            foreach (var stamp in stamps.Where(st => !keep.Contains(st) && (st.Complete || st.At < abandoned || keep.Count == 0)))
            {
                doomed.AddRange(stamp.Objects.Select(o => o.Key));
            }
            var walCutoff = keep.Count > 0 && StampTime(keep[^1].Stamp) is { } started ? started.AddMinutes(-5) : DateTime.MaxValue;
            doomed.AddRange(walOf.GetValueOrDefault(id, []).Where(o => o.LastModified < walCutoff).Select(o => o.Key));
            walOf.Remove(id);
        }
        doomed.AddRange(walOf.Values.SelectMany(v => v).Where(o => o.LastModified < cutoff).Select(o => o.Key));

        var platform = snapshots.GroupBy(o => o.Key.Split('/')[1])
            .Select(g => new Group(g.Key, g.ToList(), g.Any(o => o.Key.EndsWith("/manifest.json.sealed", StringComparison.Ordinal)), g.Max(o => o.LastModified)))
            .OrderByDescending(s => s.Stamp, StringComparer.Ordinal).ToList();
        var kept = platform.Where(s => s.Complete).Take(keepSnapshots).ToList();
        foreach (var snapshot in platform.Where(s => !kept.Contains(s) && (s.Complete || s.At < abandoned)))
        {
            doomed.AddRange(snapshot.Objects.Select(o => o.Key));
        }
        return new RetentionPlan(doomed, kept.Select(s => s.Stamp).ToList(), kept.Count > 0 ? kept[^1].At : DateTime.MinValue);
    }

    /// <summary>Sources no kept snapshot names and no build here uses, older than the oldest kept snapshot (a snapshot
    /// on its way names the newer ones).</summary>
    public static IEnumerable<string> UnusedSources(IReadOnlyList<StoredObject> sources, IReadOnlySet<string> named, IReadOnlySet<string> used, DateTime oldestKept) =>
        sources.Where(o => !named.Contains(o.Key) && !used.Contains(o.Key) && o.LastModified < oldestKept).Select(o => o.Key);

    private static DateTime? StampTime(string stamp) =>
        DateTime.TryParseExact(stamp, "yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at)
            ? at : null;

    private sealed record Group(string Stamp, List<StoredObject> Objects, bool Complete, DateTime At);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Count} object(s) from off-site store {Storage}")]
    private static partial void LogPruned(ILogger logger, string storage, int count);
}

/// <summary>What <see cref="OffsitePruner.Plan"/> decided.</summary>
internal sealed record RetentionPlan(IReadOnlyList<string> Doomed, IReadOnlyList<string> KeptSnapshots, DateTime OldestKeptSnapshot);
