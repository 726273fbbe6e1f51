namespace Slipway.Manifests;

/// <summary>What a rule's "over" is measured in.</summary>
internal enum AlertThreshold
{
    None,
    Percent,
    Seconds,
    Count,
}

/// <summary>Which settings a built-in rule takes.</summary>
/// <param name="PerApp">False for a platform-wide rule (disk): not settable in an app's manifest.</param>
internal sealed record AlertRuleTerms(AlertThreshold Threshold, bool For = false, bool Count = false, bool MinRequests = false, bool PerApp = true);

/// <summary>The built-in alert rules a manifest may adjust, and the measures of custom rules. The platform's alert
/// sources (Monitoring/Alerts) must define the same rules with the same units: AlertRuleNamesTests compares them, so
/// add a rule in both places.</summary>
internal static class AlertRuleNames
{
    public static readonly IReadOnlyDictionary<string, AlertRuleTerms> BuiltIn = new Dictionary<string, AlertRuleTerms>(StringComparer.Ordinal)
    {
        ["deploy-failed"] = new(AlertThreshold.None),
        ["crash-loop"] = new(AlertThreshold.None, For: true, Count: true),
        ["oom-kill"] = new(AlertThreshold.None, For: true),
        ["uptime"] = new(AlertThreshold.None),
        ["error-rate"] = new(AlertThreshold.Percent, For: true, MinRequests: true),
        ["latency"] = new(AlertThreshold.Seconds, For: true, MinRequests: true),
        ["backup"] = new(AlertThreshold.None, For: true),
        ["cron-failed"] = new(AlertThreshold.None, Count: true),
        ["dead-messages"] = new(AlertThreshold.Count),
        ["certificate"] = new(AlertThreshold.None, Count: true),
        ["disk"] = new(AlertThreshold.Percent, PerApp: false),
        ["error-new"] = new(AlertThreshold.None),
        ["error-regression"] = new(AlertThreshold.None),
        ["error-spike"] = new(AlertThreshold.Count),
        ["offsite"] = new(AlertThreshold.None, PerApp: false),
    };

    /// <summary>Custom rules' measures and the unit of their thresholds.</summary>
    public static readonly IReadOnlyDictionary<string, AlertThreshold> Metrics = new Dictionary<string, AlertThreshold>(StringComparer.Ordinal)
    {
        ["error-rate"] = AlertThreshold.Percent,
        ["p50"] = AlertThreshold.Seconds,
        ["p95"] = AlertThreshold.Seconds,
        ["p99"] = AlertThreshold.Seconds,
        ["rpm"] = AlertThreshold.Count,
    };

    public static readonly IReadOnlyList<string> Severities = ["warning", "critical"];

    /// <summary>The longest "for" a rule takes: every 15 s a traffic rule merges its whole window of per-minute history
    /// and crash-loop/oom-kill read the platform's events over theirs, so those stop at an hour; backup's is an age.</summary>
    public static TimeSpan MaxFor(string rule) => rule == "backup" ? TimeSpan.FromDays(30) : TimeSpan.FromHours(1);

    public static string MaxForText(string rule) => rule == "backup" ? "30 days" : "1 hour";

    /// <summary>Reads a threshold written as text in <paramref name="unit"/>: "5%" or "5" for percent, "1s" or "800ms"
    /// (a unit is required, as for every duration), a whole number for counts. Null (with <paramref name="error"/> saying what was expected) when it
    /// does not read.</summary>
    public static double? ReadThreshold(string text, AlertThreshold unit, out string? error)
    {
        error = null;
        text = text.Trim();
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        const System.Globalization.NumberStyles number = System.Globalization.NumberStyles.AllowDecimalPoint;
        switch (unit)
        {
            case AlertThreshold.Percent:
                if (double.TryParse(text.TrimEnd('%'), number, invariant, out var percent) && percent is >= 0 and <= 100)
                {
                    return percent;
                }
                error = $"expected a percentage like \"5%\", got \"{text}\"";
                return null;
            case AlertThreshold.Seconds:
                if (Durations.TryParse(text, out var duration) && duration > TimeSpan.Zero)
                {
                    return duration.TotalSeconds;
                }
                error = $"expected a duration like \"1s\" or \"800ms\", got \"{text}\"";
                return null;
            case AlertThreshold.Count:
                if (long.TryParse(text, System.Globalization.NumberStyles.None, invariant, out var count) && count <= 1_000_000_000)
                {
                    return count;
                }
                error = $"expected a whole number like 3, got \"{text}\"";
                return null;
            default:
                error = "this rule takes no threshold";
                return null;
        }
    }
}
