using NCrontab;

namespace Slipway.Manifests;

/// <summary>A backup schedule: standard five cron fields (UTC), or six with seconds first.</summary>
internal static class BackupSchedule
{
    public static bool IsValid(string schedule) => Parse(schedule) is not null;

    public static CrontabSchedule? Parse(string schedule)
    {
        var fields = schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6))
        {
            return null;
        }
        return CrontabSchedule.TryParse(schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = fields == 6 });
    }

    /// <summary>Whether a run is due at <paramref name="now"/>: a schedule time has passed since
    /// <paramref name="since"/> (the last run, or when the database was created). Runs missed while the
    /// platform was down collapse into one.</summary>
    public static bool IsDue(string schedule, DateTime since, DateTime now) =>
        Parse(schedule) is { } cron && cron.GetNextOccurrence(since) <= now;
}
