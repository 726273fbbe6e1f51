using Microsoft.Extensions.Logging;
using Slipway.State;

namespace Slipway.Offsite;

/// <summary>Whether copies to the store work: every copy (a database backup, WAL, the platform's state) reports here. A
/// failing spell is one "offsite.copy-failed" platform event and the "offsite" alert until a copy works again
/// ("offsite.copy-recovered"); what failed stays on this machine and is tried again at the next round.</summary>
internal sealed partial class OffsiteHealth(Store store, TimeProvider clock, ILogger<OffsiteHealth> logger)
{
    private readonly object _gate = new();

    /// <summary>The failure going on now, or null while copies work.</summary>
    public CopyFailure? Failing { get; private set; }

    public void Failed(string storage, Exception e)
    {
        var reason = e.Message.Split('\n')[0];
        lock (_gate)
        {
            if (Failing is null)
            {
                Failing = new CopyFailure(storage, reason, clock.GetUtcNow());
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
            if (Failing is { } failing)
            {
                store.AddEvent(null, null, "offsite.copy-recovered", $"Copies to off-site store {storage} work again (failing since {UtcTime.Format(failing.Since)}).");
                Failing = null;
            }
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
