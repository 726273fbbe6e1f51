using NCrontab;

namespace Slipway.Manifests;

/// <summary>A parsed five-field cron expression in a time zone. Parsing is NCrontab's (a well-kept library,
/// not ours); this type adds the time zone and the error text a user can act on.
///
/// Occurrences are computed in the zone's wall-clock time and converted to UTC: a time that does not exist
/// (the hour skipped when clocks go forward) runs at the first instant after the gap, and a time that happens
/// twice (clocks going back) runs once, at its first instance, for a job at a fixed hour ("30 2 * * *"), and
/// at both for an interval job ("*/15 * * * *", "0 * * * *"), which so keeps its rhythm in real time.</summary>
internal sealed class CronSchedule
{
    // Longer than any daylight-saving shift (2 h at most, in Antarctica/Troll).
    private static readonly TimeSpan SearchBack = TimeSpan.FromHours(3);

    private readonly CrontabSchedule _schedule;

    // An interval schedule ("*" or a step or range in the hour field) runs in both instances of a repeated hour.
    private readonly bool _everyHour;

    private CronSchedule(string expression, CrontabSchedule schedule, TimeZoneInfo zone)
    {
        Expression = expression;
        _schedule = schedule;
        Zone = zone;
        var hour = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        _everyHour = hour.IndexOfAny(['*', '/', '-']) >= 0;
    }

    public string Expression { get; }
    public TimeZoneInfo Zone { get; }

    /// <summary>The schedule, or the reason it is not one (a sentence that says what to write instead).</summary>
    public static CronSchedule? TryParse(string expression, string? timeZone, out string? error)
    {
        error = null;
        var zone = TimeZoneInfo.Utc;
        if (timeZone is not null && !TryZone(timeZone, out zone))
        {
            error = $"unknown time zone \"{timeZone}\"; use an IANA name like \"Europe/Berlin\" or \"America/New_York\", or leave it out for UTC";
            return null;
        }
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
        {
            error = $"expected five cron fields (minute hour day-of-month month day-of-week) like \"0 3 * * *\", got {fields.Length} in \"{expression}\"";
            return null;
        }
        try
        {
            return new CronSchedule(expression, CrontabSchedule.Parse(string.Join(' ', fields)), zone!);
        }
        catch (CrontabException e)
        {
            error = $"\"{expression}\" is not a valid cron schedule: {FirstLine(e.Message)}. Fields are minute (0-59) hour (0-23) " +
                    "day-of-month (1-31) month (1-12 or JAN-DEC) day-of-week (0-6 or SUN-SAT), e.g. \"*/15 * * * *\" or \"0 3 * * MON\"";
            return null;
        }
    }

    public static CronSchedule Parse(string expression, string? timeZone) =>
        TryParse(expression, timeZone, out var error) ?? throw new FormatException(error);

    /// <summary>The first occurrence strictly after <paramref name="after"/>.</summary>
    public DateTimeOffset Next(DateTimeOffset after)
    {
        // Wall-clock occurrences are searched from a little before after's wall-clock time: when clocks go back,
        // the repeated hour's second instances have earlier wall-clock times than instants just before them.
        // Only near a clock change (so counting a long downtime's slots stays cheap).
        var local = TimeZoneInfo.ConvertTime(after, Zone).DateTime;
        if (Zone.GetUtcOffset(after - SearchBack) != Zone.GetUtcOffset(after) || Zone.GetUtcOffset(after + SearchBack) != Zone.GetUtcOffset(after))
        {
            local -= SearchBack;
        }
        DateTimeOffset? best = null;
        while (true)
        {
            // NCrontab works on wall-clock DateTimes with minute resolution.
            var next = _schedule.GetNextOccurrence(local);
            local = next;
            foreach (var instant in Instants(next))
            {
                if (instant > after && (best is null || instant < best))
                {
                    best = instant;
                }
            }
            // Past an occurrence that is neither skipped nor repeated, no later one can come earlier in real time.
            if (best is { } found && !Zone.IsInvalidTime(next) && !Zone.IsAmbiguousTime(next) && new DateTimeOffset(next, Zone.GetUtcOffset(next)) >= found)
            {
                return found.ToUniversalTime();
            }
        }
    }

    /// <summary>The real instants of a wall-clock occurrence: none skipped (one at the end of a gap), the first
    /// of a repeated time, or both for an interval schedule.</summary>
    private IEnumerable<DateTimeOffset> Instants(DateTime local)
    {
        if (Zone.IsInvalidTime(local))
        {
            // Skipped by a clock change: the first valid minute after the gap.
            var probe = local;
            while (Zone.IsInvalidTime(probe))
            {
                probe = probe.AddMinutes(1);
            }
            yield return new DateTimeOffset(probe, Zone.GetUtcOffset(probe));
            yield break;
        }
        if (!Zone.IsAmbiguousTime(local))
        {
            yield return new DateTimeOffset(local, Zone.GetUtcOffset(local));
            yield break;
        }
        // Ambiguous: the larger offset is the earlier instance.
        var offsets = Zone.GetAmbiguousTimeOffsets(local).OrderByDescending(o => o).ToArray();
        yield return new DateTimeOffset(local, offsets[0]);
        if (_everyHour)
        {
            yield return new DateTimeOffset(local, offsets[^1]);
        }
    }

    /// <summary>Occurrences in (<paramref name="after"/>, <paramref name="until"/>], at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<DateTimeOffset> Between(DateTimeOffset after, DateTimeOffset until, int limit = 1000)
    {
        var result = new List<DateTimeOffset>();
        var at = after;
        while (result.Count < limit)
        {
            at = Next(at);
            if (at > until)
            {
                break;
            }
            result.Add(at);
        }
        return result;
    }

    private static bool TryZone(string id, out TimeZoneInfo? zone)
    {
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            zone = null;
            return false;
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim().TrimEnd('.');
}
