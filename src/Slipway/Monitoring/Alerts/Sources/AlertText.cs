using System.Globalization;

namespace Slipway.Monitoring.Alerts.Sources;

/// <summary>How the built-in sources write numbers, times and errors into titles and details.</summary>
internal static class AlertText
{
    /// <summary>The start of a platform-wide alert's title.</summary>
    public const string Platform = "platform";

    /// <summary>The first line of an error, at most 200 characters: a title stays one line.</summary>
    public static string FirstLine(string? text)
    {
        var line = (text ?? "").Trim();
        var end = line.IndexOfAny(['\r', '\n']);
        line = end < 0 ? line : line[..end].TrimEnd();
        return line.Length <= 200 ? line : line[..199] + "…";
    }

    /// <summary>"7.2", "5", "0.35": at most <paramref name="decimals"/> decimals, invariant.</summary>
    public static string Number(double value, int decimals = 1) =>
        Math.Round(value, decimals).ToString("0." + new string('#', decimals), CultureInfo.InvariantCulture);

    /// <summary>"5m", "26 h" (whole hours are said so), "1h30m".</summary>
    public static string Span(TimeSpan span) =>
        span >= TimeSpan.FromHours(2) && span.Ticks % TimeSpan.TicksPerHour == 0 ? $"{(long)span.TotalHours} h" : Durations.Format(span);

    /// <summary>"2026-12-04 10:05 UTC".</summary>
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>"1 day", "3 days".</summary>
    public static string Count(long n, string one, string many) => n == 1 ? $"1 {one}" : $"{n} {many}";
}
