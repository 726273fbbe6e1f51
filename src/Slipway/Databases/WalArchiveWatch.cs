using Microsoft.Extensions.Logging;
using Npgsql;
using Slipway.State;

namespace Slipway.Databases;

/// <summary>Whether the managed cluster's WAL archiving works. PostgreSQL retries a failing archive_command forever and
/// says so only in its own log, while point-in-time recovery silently stops at the last segment archived and pg_wal
/// grows; so pg_stat_archiver is read (at most every 15 s) and a failure that is newer than the last success is
/// recorded once as a "database.archive-failed" event, logged, and held here for the backup alert until a segment is
/// archived again ("database.archive-recovered").</summary>
internal sealed partial class WalArchiveWatch(Store store, TimeProvider clock, ILogger<WalArchiveWatch> logger)
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(15);
    private DateTimeOffset _checked = DateTimeOffset.MinValue;

    /// <summary>The failure going on now, or null while archiving works.</summary>
    public ArchiveFailure? Failing { get; private set; }

    public async Task CheckAsync(PostgresTarget target, string logDir, CancellationToken token)
    {
        if (clock.GetUtcNow() - _checked < Every)
        {
            return;
        }
        _checked = clock.GetUtcNow();
        await using var connection = await target.OpenAsync(null, token);
        await using var command = new NpgsqlCommand(
            "select last_archived_wal, last_archived_time, failed_count, last_failed_wal, last_failed_time from pg_stat_archiver", connection);
        await using var reader = await command.ExecuteReaderAsync(token);
        if (!await reader.ReadAsync(token))
        {
            return;
        }
        var archivedWal = reader.IsDBNull(0) ? null : reader.GetString(0);
        DateTimeOffset? archivedAt = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1);
        var failures = reader.GetInt64(2);
        var failedWal = reader.IsDBNull(3) ? null : reader.GetString(3);
        DateTimeOffset? failedAt = reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4);
        Observe(archivedWal, archivedAt, failures, failedWal, failedAt, logDir);
    }

    /// <summary>Turns one reading of pg_stat_archiver into the state and, on a change, an event.</summary>
    internal void Observe(string? archivedWal, DateTimeOffset? archivedAt, long failures, string? failedWal, DateTimeOffset? failedAt, string logDir)
    {
        var failing = failedAt is { } f && (archivedAt is null || f > archivedAt);
        if (failing && Failing is null)
        {
            Failing = new ArchiveFailure(failedWal ?? "?", failedAt!.Value, archivedWal, archivedAt);
            var message = $"WAL archiving of the managed PostgreSQL is failing (segment {Failing.Segment}, {failures} failures so far); " +
                $"point-in-time recovery reaches only {(archivedAt is { } a ? $"{a.UtcDateTime:O} (segment {archivedWal})" : "the base backups")} " +
                $"until it works again. The reason is in the cluster's log in {logDir} (look for \"archive command failed\"); " +
                "a full disk or a removed archive directory are the usual ones.";
            store.AddEvent(null, null, "database.archive-failed", message);
            LogFailing(logger, Failing.Segment, failures);
        }
        else if (!failing && Failing is not null && archivedAt is not null)
        {
            store.AddEvent(null, null, "database.archive-recovered",
                $"WAL archiving of the managed PostgreSQL works again (segment {archivedWal} archived at {archivedAt.Value.UtcDateTime:O}).");
            LogRecovered(logger, archivedWal ?? "?");
            Failing = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "WAL archiving of the managed PostgreSQL is failing at segment {Segment} ({Failures} failures); see the cluster's log")]
    private static partial void LogFailing(ILogger logger, string segment, long failures);

    [LoggerMessage(Level = LogLevel.Information, Message = "WAL archiving of the managed PostgreSQL works again (segment {Segment})")]
    private static partial void LogRecovered(ILogger logger, string segment);
}

/// <summary>A WAL archiving failure: the segment that fails, since when, and the last one archived.</summary>
internal sealed record ArchiveFailure(string Segment, DateTimeOffset Since, string? LastArchived, DateTimeOffset? LastArchivedAt);
