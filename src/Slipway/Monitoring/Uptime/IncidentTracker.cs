namespace Slipway.Monitoring.Uptime;

/// <summary>What one result changes about a check's incident.</summary>
internal enum IncidentStep
{
    None,

    /// <summary>The second failure in a row: an incident starts at the first one's time.</summary>
    Open,

    /// <summary>Still down: the latest cause is recorded.</summary>
    StillDown,

    /// <summary>The second success in a row: the incident ends at the first one's time.</summary>
    Close,
}

/// <summary>When a check's incident opens and closes, from its results in order (pure; one per check, used by one
/// thread at a time).
///
/// An incident opens at the <see cref="FailuresToOpen"/>th failure in a row and starts at the first of them; it closes
/// at the <see cref="SuccessesToClose"/>th success in a row and ends at the first of those. So a target that alternates
/// up and down every check never opens one, and one that is down twice, up once, down again stays in the same incident
/// rather than sending a notice per check.</summary>
internal sealed class IncidentTracker
{
    public const int FailuresToOpen = 2;
    public const int SuccessesToClose = 2;

    private int _failures;
    private int _successes;
    private DateTimeOffset _firstFailureAt;
    private DateTimeOffset _firstSuccessAt;

    /// <summary>Whether an incident is open.</summary>
    public bool Down { get; private set; }

    /// <summary>Where an opening incident starts, or a closing one ends (valid after Open and Close).</summary>
    public DateTimeOffset At { get; private set; }

    /// <summary>A tracker that continues from what was stored: an open incident, and the latest results (oldest first).</summary>
    public static IncidentTracker Restore(bool down, IEnumerable<UptimeResult> latest)
    {
        var tracker = new IncidentTracker { Down = down };
        foreach (var result in latest)
        {
            tracker.Count(result);
        }
        return tracker;
    }

    public IncidentStep Observe(UptimeResult result)
    {
        Count(result);
        if (!Down && _failures >= FailuresToOpen)
        {
            Down = true;
            At = _firstFailureAt;
            return IncidentStep.Open;
        }
        if (Down && _successes >= SuccessesToClose)
        {
            Down = false;
            At = _firstSuccessAt;
            return IncidentStep.Close;
        }
        return Down && !result.Ok ? IncidentStep.StillDown : IncidentStep.None;
    }

    /// <summary>Forgets the streaks (a paused check, whose incident was closed by the pause).</summary>
    public void Reset()
    {
        Down = false;
        _failures = 0;
        _successes = 0;
    }

    private void Count(UptimeResult result)
    {
        if (result.Ok)
        {
            if (_successes++ == 0)
            {
                _firstSuccessAt = result.At;
            }
            _failures = 0;
        }
        else
        {
            if (_failures++ == 0)
            {
                _firstFailureAt = result.At;
            }
            _successes = 0;
        }
    }
}
