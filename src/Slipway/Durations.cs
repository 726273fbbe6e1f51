using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Slipway;

/// <summary>Durations as written in slipway.json: "500ms", "30s", "5m", "1h", "1h30m", "1.5s", or a JSON number
/// of seconds. Units are required in strings: a bare "30" is rejected because readers disagree on whether it
/// means seconds or milliseconds.</summary>
internal static class Durations
{
    /// <summary>Shown in error messages; keep in sync with the pattern in schemas/slipway.schema.json.</summary>
    public const string Example = "\"30s\"";

    private static readonly (string Unit, long Ticks)[] Units =
    [
        ("h", TimeSpan.TicksPerHour),
        ("m", TimeSpan.TicksPerMinute),
        ("s", TimeSpan.TicksPerSecond),
        ("ms", TimeSpan.TicksPerMillisecond),
    ];

    /// <summary>Parses a sequence of number+unit parts ("1h30m"). Zero is accepted here; callers that need a
    /// positive duration check that themselves so they can say so in the error.</summary>
    public static bool TryParse(string? text, out TimeSpan duration) => TryParse(text, out duration, days: false);

    /// <summary>A window given on the command line (--since 7d): like <see cref="TryParse(string?, out TimeSpan)"/>,
    /// and days ("7d", "1d12h") too, which slipway.json does not take.</summary>
    public static bool TryParseWindow(string? text, out TimeSpan duration) => TryParse(text, out duration, days: true);

    private static bool TryParse(string? text, out TimeSpan duration, bool days)
    {
        duration = TimeSpan.Zero;
        // No trimming or inner spaces: the schema's pattern does not allow them either, and the editor
        // should flag exactly what Slipway rejects.
        if (string.IsNullOrEmpty(text))
            return false;

        var span = text.AsSpan();
        decimal ticks = 0;
        while (!span.IsEmpty)
        {
            // Same shape as the schema's pattern: digits, optionally "." and more digits.
            var numberLength = CountDigits(span);
            if (numberLength == 0)
                return false;
            if (numberLength < span.Length && span[numberLength] == '.')
            {
                var fraction = CountDigits(span[(numberLength + 1)..]);
                if (fraction == 0)
                    return false;
                numberLength += 1 + fraction;
            }

            if (!decimal.TryParse(span[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture,
                    out var number))
                return false;
            span = span[numberLength..];

            var unitLength = 0;
            while (unitLength < span.Length && char.IsAsciiLetterLower(span[unitLength]))
                unitLength++;
            var unitTicks = days && span[..unitLength] is "d" ? TimeSpan.TicksPerDay : TicksPerUnit(span[..unitLength]);
            if (unitTicks == 0)
                return false;
            span = span[unitLength..];

            // Checked before multiplying: decimal overflow would throw rather than fail the parse.
            if (number > (decimal)TimeSpan.MaxValue.Ticks / unitTicks)
                return false;
            ticks += number * unitTicks;
            if (ticks > TimeSpan.MaxValue.Ticks)
                return false;
        }

        duration = TimeSpan.FromTicks((long)decimal.Round(ticks));
        return true;
    }

    /// <summary>Reads a manifest value: a duration string or a number of seconds.</summary>
    public static bool TryParse(JsonElement value, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return TryParse(value.GetString(), out duration);
            case JsonValueKind.Number when value.TryGetDouble(out var seconds)
                                           && seconds >= 0 && seconds <= TimeSpan.MaxValue.TotalSeconds:
                duration = TimeSpan.FromSeconds(seconds);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Formats the way a user would write it: "30s", "10m", "1h30m", "1s500ms". Round-trips through
    /// <see cref="TryParse(string?, out TimeSpan)"/> for anything with millisecond precision or coarser.</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration == TimeSpan.Zero)
            return "0s";

        var builder = new StringBuilder();
        var ticks = duration.Ticks;
        if (ticks < 0)
        {
            builder.Append('-');
            ticks = -ticks;
        }

        foreach (var (unit, unitTicks) in Units)
        {
            if (unit == "ms")
            {
                // Sub-millisecond rests are rare (they only come from numbers like 0.0005); keep them as a
                // fraction rather than dropping precision silently.
                if (ticks > 0)
                    builder.Append(((decimal)ticks / unitTicks).ToString(CultureInfo.InvariantCulture)).Append(unit);
                break;
            }

            var count = ticks / unitTicks;
            if (count > 0)
                builder.Append(count.ToString(CultureInfo.InvariantCulture)).Append(unit);
            ticks -= count * unitTicks;
        }

        return builder.ToString();
    }

    private static int CountDigits(ReadOnlySpan<char> span)
    {
        var count = 0;
        while (count < span.Length && char.IsAsciiDigit(span[count]))
            count++;
        return count;
    }

    private static long TicksPerUnit(ReadOnlySpan<char> unit)
    {
        foreach (var (name, ticks) in Units)
        {
            if (unit.SequenceEqual(name))
                return ticks;
        }

        return 0;
    }
}
