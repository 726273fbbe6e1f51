using System.Globalization;

namespace Slipway.Dashboard;

/// <summary>Times as the pages print them: UTC in Slipway's spelling for the machine-readable attribute and the
/// tooltip, "5 min ago" for people.</summary>
internal static class When
{
    public static string Iso(DateTimeOffset at) => UtcTime.Format(at);

    /// <summary>A time to come for people: "in 5 min", "in 3 h" (one already due: "due now").</summary>
    public static string Until(DateTimeOffset at, DateTimeOffset now)
    {
        var span = at - now;
        return span.TotalSeconds < 1 ? "due now"
            : span.TotalSeconds < 60 ? $"in {(int)span.TotalSeconds} s"
            : span.TotalMinutes < 60 ? $"in {(int)span.TotalMinutes} min"
            : span.TotalHours < 24 ? $"in {(int)span.TotalHours} h"
            : $"in {(int)span.TotalDays} d";
    }

    public static string Ago(DateTimeOffset at, DateTimeOffset now)
    {
        var span = now - at;
        return span.TotalSeconds < 60 ? "just now"
            : span.TotalMinutes < 60 ? $"{(int)span.TotalMinutes} min ago"
            : span.TotalHours < 24 ? $"{(int)span.TotalHours} h ago"
            : span.TotalDays < 30 ? $"{(int)span.TotalDays} d ago"
            : at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    public static string Duration(double? seconds) => seconds switch
    {
        null => "",
        < 60 => string.Create(CultureInfo.InvariantCulture, $"{seconds:0.#} s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(int)(seconds / 60)} min {(int)(seconds % 60)} s"),
    };

    /// <summary>The first 7 characters of a commit, as git shows it.</summary>
    public static string Short(string commit) => commit.Length > 7 ? commit[..7] : commit;
}
