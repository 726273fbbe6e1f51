using System.Globalization;

namespace Slipway.Domains.Acme;

/// <summary>Retry-After (RFC 9110 §10.2.3): either a number of seconds or an HTTP date. A date in the past means "now"
/// (zero); anything else unreadable means the CA gave no usable time (null).</summary>
internal static class RetryAfterHeader
{
    // IMF-fixdate, then the obsolete RFC 850 and asctime forms every recipient must still accept.
    private static readonly string[] DateFormats =
    [
        "ddd, dd MMM yyyy HH:mm:ss 'GMT'",
        "dddd, dd-MMM-yy HH:mm:ss 'GMT'",
        "ddd MMM d HH:mm:ss yyyy",
        "ddd MMM  d HH:mm:ss yyyy",
    ];

    /// <summary>The longest wait taken from a header: a CA asking for more is read as this (a year), not overflowed.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(365);

    public static TimeSpan? Parse(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        value = value.Trim();
        if (value.All(char.IsAsciiDigit))
        {
            return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= Longest.TotalSeconds
                ? TimeSpan.FromSeconds(seconds)
                : Longest;
        }
        if (DateTime.TryParseExact(value, DateFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowInnerWhite, out var date))
        {
            var wait = new DateTimeOffset(date, TimeSpan.Zero) - now;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > Longest ? Longest : wait;
        }
        return null;
    }

    public static TimeSpan? Of(HttpResponseMessage response, DateTimeOffset now) =>
        response.Headers.TryGetValues("Retry-After", out var values) ? Parse(values.FirstOrDefault(), now) : null;
}
