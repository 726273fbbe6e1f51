using NCrontab;

namespace Slipway.Jobs;

/// <summary>A parsed five-field cron expression in a time zone. Parsing is NCrontab's (a well-kept library,
/// not ours); this type adds the time zone and the error text a user can act on.
///
/// Occurrences are computed in the zone's wall-clock time and converted to UTC: a time that does not exist
/// (the hour skipped when clocks go forward) runs at the first instant after the gap, and a time that happens
/// twice (clocks going back) runs once, at its first instance.</summary>
internal sealed class CronSchedule
{
    private readonly CrontabSchedule _schedule;

    private CronSchedule(string expression, CrontabSchedule schedule, TimeZoneInfo zone)
    {
        Expression = expression;
        _schedule = schedule;
        Zone = zone;
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
        var local = TimeZoneInfo.ConvertTime(after, Zone).DateTime;
        while (true)
        {
            // NCrontab works on wall-clock DateTimes with minute resolution.
            var next = _schedule.GetNextOccurrence(local);
            if (Zone.IsInvalidTime(next))
            {
                // Skipped by a clock change: the first valid minute after the gap.
                var probe = next;
                while (Zone.IsInvalidTime(probe))
                {
                    probe = probe.AddMinutes(1);
                }
                var atGap = new DateTimeOffset(probe, Zone.GetUtcOffset(probe));
                if (atGap > after)
                {
                    return atGap.ToUniversalTime();
                }
                local = next;
                continue;
            }
            var offsets = Zone.IsAmbiguousTime(next) ? Zone.GetAmbiguousTimeOffsets(next).OrderByDescending(o => o).ToArray() : [Zone.GetUtcOffset(next)];
            // Ambiguous: the first instance (the larger offset is earlier in UTC); the second is skipped.
            var candidate = new DateTimeOffset(next, offsets[0]);
            if (candidate > after)
            {
                return candidate.ToUniversalTime();
            }
            local = next;
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
