using System.Globalization;

namespace Slipway;

/// <summary>Times as Slipway stores and shows them: UTC, ISO 8601, milliseconds ("2026-12-03T06:00:00.000Z"),
/// so they sort as text in SQLite and read the same in the API, the CLI and the logs.</summary>
internal static class UtcTime
{
    public const string Pattern = "yyyy-MM-ddTHH:mm:ss.fffZ";

    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString(Pattern, CultureInfo.InvariantCulture);

    /// <summary>Any ISO 8601 time; one without an offset is UTC.</summary>
    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public static bool TryParse(string? text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
}
