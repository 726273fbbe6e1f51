using System.Globalization;
using System.Text.RegularExpressions;

namespace Slipway.Manifests;

/// <summary>Sizes as users write them in manifests: "1mb", "512kb", "2 GB", or a number of bytes.
/// Units are binary (1kb = 1024 bytes), as in nginx and body-parser.</summary>
internal static partial class ByteSizes
{
    public const string Example = "\"1mb\" or \"512kb\"";

    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var match = SizePattern().Match(text.Trim());
        if (!match.Success || !decimal.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }
        var unit = match.Groups[2].Value.ToLowerInvariant() switch
        {
            "" or "b" => 1L,
            "k" or "kb" => 1024L,
            "m" or "mb" => 1024L * 1024,
            "g" or "gb" => 1024L * 1024 * 1024,
            _ => 0L,
        };
        var value = number * unit;
        if (unit == 0 || value > long.MaxValue)
        {
            return false;
        }
        bytes = (long)value;
        return true;
    }

    public static string Format(long bytes) => bytes switch
    {
        >= 1024L * 1024 * 1024 when bytes % (1024L * 1024 * 1024) == 0 => $"{bytes / (1024L * 1024 * 1024)}gb",
        >= 1024L * 1024 when bytes % (1024L * 1024) == 0 => $"{bytes / (1024L * 1024)}mb",
        >= 1024 when bytes % 1024 == 0 => $"{bytes / 1024}kb",
        _ => $"{bytes}b",
    };

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$")]
    private static partial Regex SizePattern();
}
