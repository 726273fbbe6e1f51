using Microsoft.Extensions.Logging;
using Slipway.State;

namespace Slipway.Offsite;

/// <summary>Whether copies to the stores work: every copy (a database backup, WAL, the platform's state) reports here. A
/// failing spell of a store is one "offsite.copy-failed" platform event and the "offsite" alert until a copy to that store
/// works again ("offsite.copy-recovered"); what failed stays on this machine and is tried again at the next round. Each
/// store has its spells of its own: a database's store that fails is not hidden by the platform-wide store working, and
/// its spell says which database's backups stay here. A failure reported for a store no longer listed (removed by
/// `storage rm` while a copy to it was under way) is ignored: no spell could ever end.</summary>
internal sealed partial class OffsiteHealth(Store store, OffsiteStorages storages, TimeProvider clock, ILogger<OffsiteHealth> logger)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, CopyFailure> _failing = new(StringComparer.Ordinal);

    /// <summary>The stores whose copies fail now (empty while copies work), the longest failing first.</summary>
    public IReadOnlyList<CopyFailure> Failing
    {
        get
        {
            lock (_gate)
            {
                return _failing.Values.OrderBy(f => f.Since).ThenBy(f => f.Storage, StringComparer.Ordinal).ToList();
            }
        }
    }

    public void Failed(string storage, Exception e)
    {
        var reason = e.Message.Split('\n')[0];
        lock (_gate)
        {
            // Looked up under the lock: `storage rm` removes the row, then forgets the spell (under this lock), so a spell
            // opened here is either seen and forgotten, or never opened.
            if (storages.List().FirstOrDefault(s => s.Name == storage) is not { } listed)
            {
                LogGone(logger, storage, reason);
                return;
            }
            if (!_failing.ContainsKey(storage))
            {
                _failing[storage] = new CopyFailure(storage, listed.Scope, reason, clock.GetUtcNow());
                store.AddEvent(null, null, "offsite.copy-failed", listed.Scope is { } scope
                    ? $"Copying to off-site store {storage} (db {scope}'s own) failed: {reason}. That database's backups stay on this machine and are tried again every round."
                    : $"Copying to off-site store {storage} failed: {reason}. What was not copied stays on this machine and is tried again every round.");
            }
        }
        LogFailed(logger, storage, reason);
    }

    public void Worked(string storage)
    {
        lock (_gate)
        {
            if (_failing.Remove(storage, out var failing))
            {
                store.AddEvent(null, null, "offsite.copy-recovered", $"Copies to off-site store {storage} work again (failing since {UtcTime.Format(failing.Since)}).");
            }
        }
    }

    /// <summary>A store removed (`storage rm`): its spell ends with it, without an event (nothing works again).</summary>
    public void Forget(string storage)
    {
        lock (_gate)
        {
            _failing.Remove(storage);
        }
    }

    /// <summary>Failures of the outside world (the store, the network, a file that went away), as opposed to bugs.</summary>
    public static bool IsOperational(Exception e) =>
        e is UserException or Amazon.Runtime.AmazonServiceException or HttpRequestException or IOException or Npgsql.NpgsqlException or TimeoutException;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Copying to off-site store {Storage} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string storage, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Copying to off-site store {Storage} failed after it was removed (ignored): {Reason}")]
    private static partial void LogGone(ILogger logger, string storage, string reason);
}

/// <summary>Copies to a store failing: since when, and the first reason.</summary>
/// <param name="Scope">The store's scope ("ROW/DB": one database's own store); null for the platform-wide one.</param>
internal sealed record CopyFailure(string Storage, string? Scope, string Reason, DateTimeOffset Since);
