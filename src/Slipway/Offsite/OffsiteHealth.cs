using Microsoft.Extensions.Logging;
using Slipway.State;

namespace Slipway.Offsite;

/// <summary>Whether copies to the stores work: every copy (a database backup, WAL, the platform's state) reports here. A
/// failing spell of a store is one "offsite.copy-failed" platform event and the "offsite" alert until a copy to that store
/// works again ("offsite.copy-recovered"); what failed stays on this machine and is tried again at the next round. Each
/// store has its spells of its own: a database's store that fails is not hidden by the platform-wide store working.</summary>
internal sealed partial class OffsiteHealth(Store store, TimeProvider clock, ILogger<OffsiteHealth> logger)
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
            if (!_failing.ContainsKey(storage))
            {
                _failing[storage] = new CopyFailure(storage, reason, clock.GetUtcNow());
                store.AddEvent(null, null, "offsite.copy-failed",
                    $"Copying to off-site store {storage} failed: {reason}. What was not copied stays on this machine and is tried again every round.");
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
}

/// <summary>Copies to a store failing: since when, and the first reason.</summary>
internal sealed record CopyFailure(string Storage, string Reason, DateTimeOffset Since);
