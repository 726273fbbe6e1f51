namespace Slipway.Monitoring.Uptime;

/// <summary>How much of a day was down, for a status page's bar.</summary>
internal enum DayLevel
{
    /// <summary>The check did not exist yet that day.</summary>
    NoData,

    /// <summary>No downtime.</summary>
    None,

    /// <summary>Some downtime, under <see cref="Availability.MajorShare"/> of the day.</summary>
    Some,

    /// <summary>At least <see cref="Availability.MajorShare"/> of the day down.</summary>
    Major,
}

/// <summary>One day of a 90-day bar (UTC).</summary>
internal sealed record DayCell(DateOnly Date, double? Percent, DayLevel Level);

/// <summary>A span an incident covered; an open one runs to now.</summary>
internal readonly record struct Downtime(DateTimeOffset Start, DateTimeOffset? End);

/// <summary>Availability is time-weighted: the share of a window, from when the check exists, not covered by one of its
/// incidents (overlapping incidents count once). An incident runs from its first failing check to the first of the
/// checks that closed it, so a short blip that never opened an incident costs nothing, and a long outage costs its
/// whole length even when checks are a minute apart. Pure.</summary>
internal static class Availability
{
    /// <summary>A day with at least 1% (about 14 minutes) down is a bad day on the bar.</summary>
    public const double MajorShare = 0.01;

    /// <summary>Percent up from <paramref name="from"/> to <paramref name="to"/> (clipped to <paramref name="since"/>),
    /// or null when the check did not exist in that window.</summary>
    public static double? Percent(IReadOnlyList<Downtime> incidents, DateTimeOffset since, DateTimeOffset from, DateTimeOffset to)
    {
        var start = from > since ? from : since;
        if (to <= start)
        {
            return null;
        }
        var down = Down(incidents, start, to);
        return 100.0 * (1 - down.TotalMilliseconds / (to - start).TotalMilliseconds);
    }

    /// <summary>Time covered by the incidents within [from, to), overlaps counted once.</summary>
    public static TimeSpan Down(IReadOnlyList<Downtime> incidents, DateTimeOffset from, DateTimeOffset to)
    {
        var spans = incidents
            .Select(i => (Start: i.Start > from ? i.Start : from, End: (i.End ?? to) < to ? i.End ?? to : to))
            .Where(s => s.End > s.Start)
            .OrderBy(s => s.Start)
            .ToList();
        var total = TimeSpan.Zero;
        DateTimeOffset? runStart = null;
        var runEnd = DateTimeOffset.MinValue;
        foreach (var (start, end) in spans)
        {
            if (runStart is null || start > runEnd)
            {
                if (runStart is { } previous)
                {
                    total += runEnd - previous;
                }
                runStart = start;
                runEnd = end;
            }
            else if (end > runEnd)
            {
                runEnd = end;
            }
        }
        return runStart is { } last ? total + (runEnd - last) : total;
    }

    /// <summary>The last <paramref name="days"/> UTC days up to today (oldest first), each with its availability.</summary>
    public static IReadOnlyList<DayCell> Days(IReadOnlyList<Downtime> incidents, DateTimeOffset since, DateTimeOffset now, int days = 90)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var cells = new List<DayCell>(days);
        for (var i = days - 1; i >= 0; i--)
        {
            var date = today.AddDays(-i);
            var from = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            var to = i == 0 ? now : from.AddDays(1);
            var percent = Percent(incidents, since, from, to);
            var level = percent switch
            {
                null => DayLevel.NoData,
                >= 100 => DayLevel.None,
                var p when 100 - p < MajorShare * 100 => DayLevel.Some,
                _ => DayLevel.Major,
            };
            cells.Add(new DayCell(date, percent, level));
        }
        return cells;
    }
}
