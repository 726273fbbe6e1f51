using System.Globalization;
using Microsoft.Extensions.Logging;
using Slipway.Databases;
using Slipway.State;

namespace Slipway.Offsite;

/// <summary>Retention in the store, hourly from the shipper. The store keeps what the machine keeps:
///
///   base/SYSID/STAMP/   per cluster, the finished base backups inside the recovery window and the newest before it;
///                       a cluster with none inside goes whole once another has one (the cluster that replaced it on a
///                       new machine, or a drill's), never this machine's own nor one with no finished base yet; an
///                       unfinished one goes a day after its last object (an upload that died; younger, it may be on
///                       its way, here or on another machine)
///   wal/SYSID/          each cluster's WAL from 5 minutes before its oldest kept base backup started (by the
///                       objects' times: a segment is uploaded after it was archived); a cluster with no finished base
///                       backup in the store yet keeps its WAL for the window
///   platform/STAMP/     per origin (the platform that took them, from each manifest), the newest
///                       <see cref="OffsiteOptions.KeepPlatformSnapshots"/> complete snapshots (manifest last); an origin
///                       whose newest is older than <see cref="LostOriginAfter"/> goes whole once another has a newer one
///                       (a lost machine, a finished drill), never this platform's own; a snapshot whose manifest cannot
///                       be read stays
///   sources/            a build's source while a kept snapshot names it or a build here uses it (every one while a
///                       manifest cannot be read)
///   multipart uploads   begun more than a day ago (a shipper killed mid-upload): aborted, so no part stays billed
///
/// <see cref="Plan"/> decides from the store's listing and the manifests' origins (exact tests); <see cref="PruneAsync"/>
/// lists, reads every complete snapshot's manifest (small), and deletes. Keys of another shape (a "folder" made in a
/// console: base/, base/x) are left alone. Database backups are not pruned here: they go with their record (local
/// retention deletes both copies through <see cref="OffsiteBackupStorage.DeleteAsync"/>).</summary>
internal sealed partial class OffsitePruner(BackupKeyring keys, ShippedObjects shipped, Store store, DatabasesOptions databaseOptions, OffsiteOptions options,
    TimeProvider clock, ILogger<OffsitePruner> logger)
{
    /// <summary>How long an origin may ship no snapshot before another origin's newer ones replace it.</summary>
    public static readonly TimeSpan LostOriginAfter = TimeSpan.FromDays(30);

    /// <summary>How old an unfinished upload (a base backup's objects, a multipart upload) is before it counts as dead.</summary>
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromDays(1);

    /// <summary>The stores whose last prune failed (one event per spell each); touched by the bulk lane only.</summary>
    private readonly HashSet<string> _failing = new(StringComparer.Ordinal);

    /// <summary><see cref="PruneAsync"/> for the shipper's rounds: a failure of the store is logged and is one
    /// "offsite.prune-failed" event per spell, never a failed copy (the copies worked; the store only holds more than it
    /// needs until the next prune works).</summary>
    public Task PruneOrReportAsync(S3Bucket bucket, string storage, string? ownSystem, CancellationToken token) =>
        ReportAsync(storage, () => PruneAsync(bucket, storage, ownSystem, token));

    /// <summary>A database's own store: it holds that database's backups only, which go with their records, so only its
    /// dead multipart uploads are pruned; a failure is reported as <see cref="PruneOrReportAsync"/> does.</summary>
    public Task AbortDeadUploadsOrReportAsync(S3Settings settings, string storage, CancellationToken token) =>
        ReportAsync(storage, async () =>
        {
            using var bucket = new S3Bucket(settings);
            await AbortDeadUploadsAsync(bucket, storage, clock.GetUtcNow().UtcDateTime - AbandonedAfter, token);
        });

    private async Task ReportAsync(string storage, Func<Task> prune)
    {
        try
        {
            await prune();
            _failing.Remove(storage);
        }
        catch (Exception e) when (OffsiteHealth.IsOperational(e))
        {
            var reason = e.Message.Split('\n')[0];
            LogPruneFailed(logger, storage, reason);
            if (_failing.Add(storage))
            {
                store.AddEvent(null, null, "offsite.prune-failed",
                    $"Pruning off-site store {storage} failed: {reason}. Nothing was lost: old copies stay in the store until a prune works (tried again every {Durations.Format(options.PruneInterval)}).");
            }
        }
    }

    /// <param name="ownSystem">This machine's cluster (its system identifier), whose base backups and WAL are never
    /// replaced by another cluster's; null when none runs here.</param>
    public async Task<int> PruneAsync(S3Bucket bucket, string storage, string? ownSystem, CancellationToken token)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var snapshots = await bucket.ListAsync(PlatformManifest.Prefix, token);
        var manifests = await ReadManifestsAsync(bucket, CompleteSnapshots(snapshots), token);
        var plan = Plan(await bucket.ListAsync("base/", token), await bucket.ListAsync("wal/", token), snapshots,
            manifests.ToDictionary(m => m.Key, m => m.Value.Origin?.Id ?? "", StringComparer.Ordinal),
            now, databaseOptions.PitrWindow, options.KeepPlatformSnapshots, ownSystem, PlatformOrigin.Of(databaseOptions.DataDir).Id);
        var doomed = plan.Doomed.ToList();
        // A snapshot whose manifest cannot be read (kept) keeps every source: what it names is not known.
        if (plan.KeptSnapshots.All(manifests.ContainsKey))
        {
            var named = plan.KeptSnapshots.SelectMany(stamp => manifests[stamp].Sources.Select(source => source.Key)).ToHashSet(StringComparer.Ordinal);
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
        await AbortDeadUploadsAsync(bucket, storage, now - AbandonedAfter, token);
        return doomed.Count;
    }

    /// <summary>The manifest of each snapshot in <paramref name="stamps"/> that can be read (another platform's backup
    /// key, a damaged object: left out).</summary>
    private async Task<Dictionary<string, PlatformManifest>> ReadManifestsAsync(S3Bucket bucket, IEnumerable<string> stamps, CancellationToken token)
    {
        var manifests = new Dictionary<string, PlatformManifest>(StringComparer.Ordinal);
        var scratch = Path.Combine(databaseOptions.DataDir, "run", "offsite");
        foreach (var stamp in stamps)
        {
            var file = Path.Combine(scratch, Guid.NewGuid().ToString("N") + ".json");
            try
            {
                await SealedObjects.GetAsync(bucket, PlatformManifest.KeyOf(stamp, "manifest.json"), file, keys.Find, scratch, token);
                manifests[stamp] = PlatformManifest.Parse(file);
            }
            catch (Exception e) when (e is UserException or System.Text.Json.JsonException)
            {
                LogUnreadable(logger, stamp, e.Message);
            }
            finally
            {
                File.Delete(file);
            }
        }
        return manifests;
    }

    /// <summary>Multipart uploads begun before <paramref name="before"/> die here: a store without the listing (some
    /// S3-compatible servers) or a failure is logged, never fails the prune (the objects were pruned already).</summary>
    private async Task AbortDeadUploadsAsync(S3Bucket bucket, string storage, DateTime before, CancellationToken token)
    {
        try
        {
            var aborted = await bucket.AbortUploadsBeganBeforeAsync(before, token);
            if (aborted is null)
            {
                LogNoUploadListing(logger, storage);
            }
            else if (aborted > 0)
            {
                LogAborted(logger, storage, aborted.Value);
            }
        }
        catch (UserException e)
        {
            LogAbortFailed(logger, storage, e.Message);
        }
    }

    /// <summary>What goes from base/, wal/ and platform/ (keys below the prefix), and which complete snapshots stay
    /// (newest first) with the oldest one's time.</summary>
    /// <param name="origins">Each complete snapshot's origin by stamp ("" for a manifest that names none); a snapshot
    /// missing here had a manifest that could not be read, and stays.</param>
    /// <param name="ownSystem">This machine's cluster: never replaced by another.</param>
    /// <param name="ownOrigin">This platform's origin: never replaced by another.</param>
    public static RetentionPlan Plan(IReadOnlyList<StoredObject> bases, IReadOnlyList<StoredObject> wal, IReadOnlyList<StoredObject> snapshots,
        IReadOnlyDictionary<string, string> origins, DateTime now, TimeSpan window, int keepSnapshots, string? ownSystem, string? ownOrigin)
    {
        var doomed = new List<string>();
        var cutoff = now - window;
        var abandoned = now - AbandonedAfter;
        var systems = Shaped(bases, 4).GroupBy(o => o.Parts[1], StringComparer.Ordinal)
            .Select(system => (Id: system.Key, Stamps: Groups(system, part: 2, "finished").OrderByDescending(st => st.At).ToList()))
            .ToList();
        var walOf = Shaped(wal, 3).GroupBy(o => o.Parts[1], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(o => o.Object).ToList(), StringComparer.Ordinal);
        var inside = systems.Where(sy => sy.Stamps.Any(st => st.Complete && st.At >= cutoff)).Select(sy => sy.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var (id, stamps) in systems)
        {
            var complete = stamps.Where(st => st.Complete).ToList();
            var keep = complete.TakeWhile(st => st.At >= cutoff).Concat(complete.SkipWhile(st => st.At >= cutoff).Take(1)).ToList();
            // Never this machine's own (its base uploads failing for longer than the window must not cost it its WAL),
            // nor one with no finished base yet (a new machine's first on its way).
            var replaced = id != ownSystem && complete.Count > 0 && !inside.Contains(id) && inside.Count > 0;
            if (replaced)
            {
                keep.Clear();
            }
            foreach (var stamp in stamps.Where(st => !keep.Contains(st) && (st.Complete || st.At < abandoned)))
            {
                doomed.AddRange(stamp.Objects.Select(o => o.Key));
            }
            var walCutoff = replaced ? DateTime.MaxValue
                : keep.Count > 0 && StampTime(keep[^1].Stamp) is { } started ? started.AddMinutes(-5)
                : cutoff;
            doomed.AddRange(walOf.GetValueOrDefault(id, []).Where(o => o.LastModified < walCutoff).Select(o => o.Key));
            walOf.Remove(id);
        }
        doomed.AddRange(walOf.Values.SelectMany(v => v).Where(o => o.LastModified < cutoff).Select(o => o.Key));

        var platform = Groups(Shaped(snapshots, 3), part: 1, "manifest.json").ToList();
        var byOrigin = platform.Where(s => s.Complete && origins.ContainsKey(s.Stamp)).GroupBy(s => origins[s.Stamp], StringComparer.Ordinal).ToList();
        var lost = now - LostOriginAfter;
        var anyRecent = byOrigin.Any(o => o.Any(s => s.At >= lost));
        var kept = platform.Where(s => s.Complete && !origins.ContainsKey(s.Stamp))
            .Concat(byOrigin
                .Where(o => o.Key == ownOrigin || o.Any(s => s.At >= lost) || !anyRecent)
                .SelectMany(o => o.OrderByDescending(s => s.Stamp, StringComparer.Ordinal).Take(keepSnapshots)))
            .OrderByDescending(s => s.Stamp, StringComparer.Ordinal).ToList();
        foreach (var snapshot in platform.Where(s => !kept.Contains(s) && (s.Complete || s.At < abandoned)))
        {
            doomed.AddRange(snapshot.Objects.Select(o => o.Key));
        }
        return new RetentionPlan(doomed, kept.Select(s => s.Stamp).ToList(), kept.Count > 0 ? kept.Min(s => s.At) : DateTime.MinValue);
    }

    /// <summary>The stamps of the complete snapshots in a listing of platform/ (their manifest was written last).</summary>
    public static IEnumerable<string> CompleteSnapshots(IReadOnlyList<StoredObject> snapshots) =>
        Groups(Shaped(snapshots, 3), part: 1, "manifest.json").Where(s => s.Complete).Select(s => s.Stamp);

    /// <summary>Sources no kept snapshot names and no build here uses, older than the oldest kept snapshot (a snapshot
    /// on its way names the newer ones).</summary>
    public static IEnumerable<string> UnusedSources(IReadOnlyList<StoredObject> sources, IReadOnlySet<string> named, IReadOnlySet<string> used, DateTime oldestKept) =>
        sources.Where(o => !named.Contains(o.Key) && !used.Contains(o.Key) && o.LastModified < oldestKept).Select(o => o.Key);

    private static DateTime? StampTime(string stamp) =>
        DateTime.TryParseExact(stamp, "yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at)
            ? at : null;

    /// <summary>The objects whose keys have at least <paramref name="parts"/> parts; others are not ours.</summary>
    private static IEnumerable<(StoredObject Object, string[] Parts)> Shaped(IEnumerable<StoredObject> objects, int parts) =>
        objects.Select(o => (Object: o, Parts: o.Key.Split('/'))).Where(o => o.Parts.Length >= parts);

    /// <summary>The objects by the stamp at <paramref name="part"/>, each group complete when it holds the file
    /// <paramref name="last"/> (written last).</summary>
    private static IEnumerable<Group> Groups(IEnumerable<(StoredObject Object, string[] Parts)> objects, int part, string last) =>
        objects.GroupBy(o => o.Parts[part], StringComparer.Ordinal).Select(g => new Group(g.Key, g.Select(o => o.Object).ToList(),
            g.Any(o => o.Parts[^1] == last + ".sealed" && o.Parts.Length == part + 2), g.Max(o => o.Object.LastModified)));

    private sealed record Group(string Stamp, List<StoredObject> Objects, bool Complete, DateTime At);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Count} object(s) from off-site store {Storage}")]
    private static partial void LogPruned(ILogger logger, string storage, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning off-site store {Storage} failed: {Reason}; tried again at the next prune")]
    private static partial void LogPruneFailed(ILogger logger, string storage, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Platform snapshot {Stamp}'s manifest cannot be read ({Reason}): it stays, and so does every build's source")]
    private static partial void LogUnreadable(ILogger logger, string stamp, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Aborted {Count} multipart upload(s) begun over a day ago in off-site store {Storage}")]
    private static partial void LogAborted(ILogger logger, string storage, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Off-site store {Storage} does not list multipart uploads: dead ones are left to its own lifecycle rules")]
    private static partial void LogNoUploadListing(ILogger logger, string storage);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Aborting dead multipart uploads in off-site store {Storage} failed: {Reason}; tried again at the next prune")]
    private static partial void LogAbortFailed(ILogger logger, string storage, string reason);
}

/// <summary>What <see cref="OffsitePruner.Plan"/> decided.</summary>
internal sealed record RetentionPlan(IReadOnlyList<string> Doomed, IReadOnlyList<string> KeptSnapshots, DateTime OldestKeptSnapshot);
