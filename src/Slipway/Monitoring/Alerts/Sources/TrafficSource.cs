using Slipway.State;

namespace Slipway.Monitoring.Alerts.Sources;

/// <summary>The edge's traffic of each app environment over the last minutes, from the per-minute history
/// (<see cref="MetricsHistory.Window"/>: complete minutes only, merged).
///
/// "error-rate": 5xx answers above Over percent of at least MinRequests requests within For (default 5% of 100 in
/// 5 minutes). "latency": the p95 of at least MinRequests requests within For above Over seconds (default 1 s, 20, 5
/// minutes). Both about the environment as a whole (subject "traffic"). Custom rules (<see cref="CustomAlertRule"/>)
/// measure the same way, optionally one service or route, with their own name as the rule (subject "custom").
/// One range read of the history per distinct window length; nothing per app.</summary>
internal sealed class TrafficSource(MetricsHistory history, Store store) : IAlertSource
{
    public const string ErrorRate = "error-rate";
    public const string Latency = "latency";

    /// <summary>The roll-up stores a minute one second after it ends: for the first seconds of a minute the window
    /// ends a minute earlier, so its newest minute is never one not yet stored.</summary>
    private static readonly TimeSpan RollupLag = TimeSpan.FromSeconds(5);

    public static readonly AlertRuleDefinition ErrorRateDefinition = new(ErrorRate,
        "5xx answers over 5% of the requests within 5m, with at least 100 requests; critical",
        new AlertRuleSettings(Over: 5, For: TimeSpan.FromMinutes(5), MinRequests: 100, Severity: AlertSeverity.Critical), ThresholdUnit.Percent);

    public static readonly AlertRuleDefinition LatencyDefinition = new(Latency,
        "p95 latency over 1s within 5m, with at least 20 requests; warning",
        new AlertRuleSettings(Over: 1, For: TimeSpan.FromMinutes(5), MinRequests: 20, Severity: AlertSeverity.Warning), ThresholdUnit.Seconds);

    public IReadOnlyList<AlertRuleDefinition> Rules { get; } = [ErrorRateDefinition, LatencyDefinition];

    public bool EvaluatesCustomRules => true;

    public IEnumerable<AlertSignal> Evaluate(AlertContext context, CancellationToken cancellationToken)
    {
        var apps = AppLabels.Read(store);
        var windows = new Windows(history, context.Now);
        var signals = new List<AlertSignal>();
        foreach (var row in apps.Rows.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            foreach (var definition in Rules)
            {
                if (!context.IsOn(definition.Name, row.Name))
                {
                    continue;
                }
                var settings = context.Settings(definition.Name, row.Name).Or(definition.Defaults);
                var window = windows.Of(settings.For!.Value);
                var totals = window.Totals(row.Ref, null, null);
                if (totals.Requests == 0 || totals.Requests < settings.MinRequests)
                {
                    continue;
                }
                var metric = definition.Name == ErrorRate ? TrafficMetric.ErrorRate : TrafficMetric.P95;
                var value = Measure(metric, totals, window);
                if (value > settings.Over!.Value)
                {
                    signals.Add(new AlertSignal(definition.Name, "traffic", row.Name, settings.Severity!.Value,
                        $"{row.Ref}: {Describe(metric, value)} over {AlertText.Span(window.Length)} (threshold {Unit(metric, settings.Over.Value)})",
                        Detail(row.Ref, metric, totals, window, settings.MinRequests ?? 0)));
                }
            }
        }
        foreach (var rule in context.CustomRules)
        {
            if (Custom(rule, apps.Ref(rule.App), windows) is { } signal)
            {
                signals.Add(signal);
            }
        }
        return signals;
    }

    private static AlertSignal? Custom(CustomAlertRule rule, AppRef app, Windows windows)
    {
        var window = windows.Of(rule.For);
        var totals = window.Totals(app, rule.Service, rule.Route);
        var rpmUnder = rule.Metric == TrafficMetric.Rpm && rule.Under is not null;
        if (!rpmUnder && (totals.Requests == 0 || totals.Requests < rule.MinRequests))
        {
            return null;
        }
        var value = Measure(rule.Metric, totals, window);
        string? threshold = rule.Over is { } over && value > over ? $"threshold {Unit(rule.Metric, over)}"
            : rule.Under is { } under && value < under ? $"under {Unit(rule.Metric, under)}"
            : null;
        if (threshold is null)
        {
            return null;
        }
        var scope = (rule.Service, rule.Route) switch
        {
            (null, null) => "",
            ({ } s, null) => $" {s}",
            (null, { } r) => $" {r}",
            ({ } s, { } r) => $" {s} {r}",
        };
        return new AlertSignal(rule.Name, "custom", rule.App, rule.Severity,
            $"{app}{scope}: {Describe(rule.Metric, value)} over {AlertText.Span(window.Length)} ({threshold})",
            $"Rule {rule.Name}: " + Detail(app, rule.Metric, totals, window, rule.MinRequests));
    }

    private static double Measure(TrafficMetric metric, TrafficTotals totals, Window window) => metric switch
    {
        TrafficMetric.ErrorRate => totals.ErrorPercent,
        TrafficMetric.P50 => totals.Seconds(0.50),
        TrafficMetric.P95 => totals.Seconds(0.95),
        TrafficMetric.P99 => totals.Seconds(0.99),
        _ => totals.Requests / window.Length.TotalMinutes,
    };

    private static string Describe(TrafficMetric metric, double value) => metric switch
    {
        TrafficMetric.ErrorRate => $"5xx rate {Unit(metric, value)}",
        TrafficMetric.Rpm => $"{Unit(metric, value)}",
        _ => $"{JsonSpellings.Of(metric)} latency {Unit(metric, value)}",
    };

    private static string Unit(TrafficMetric metric, double value) => metric switch
    {
        TrafficMetric.ErrorRate => AlertText.Number(value) + "%",
        TrafficMetric.Rpm => AlertText.Number(value) + " requests/min",
        _ => AlertText.Number(value, 2) + " s",
    };

    private static string Detail(AppRef app, TrafficMetric metric, TrafficTotals totals, Window window, int minRequests)
    {
        var span = $"from {AlertText.Time(window.From)} to {AlertText.Time(window.To)}";
        var measured = metric switch
        {
            TrafficMetric.ErrorRate => $"{totals.Errors} of {totals.Requests} requests answered 5xx {span}",
            TrafficMetric.Rpm => $"{totals.Requests} requests {span}",
            _ => $"{JsonSpellings.Of(metric)} of {totals.Requests} requests {span}, from the edge's latency histogram",
        };
        var least = metric == TrafficMetric.Rpm || minRequests <= 0 ? "" : $" (counted from {minRequests} requests)";
        return $"{measured}{least}. Per route: slipway metrics {app.Flags} --since 1h; failing requests: slipway logs {app.Flags} --access --level error";
    }

    /// <summary>The history's windows that one evaluation needs, each read once.</summary>
    private sealed class Windows(MetricsHistory history, DateTimeOffset now)
    {
        private readonly Dictionary<long, Window> _read = [];
        private readonly DateTimeOffset _end = StartOfMinute(now - RollupLag);

        /// <summary>The last complete minutes covering <paramref name="length"/> (at least one minute).</summary>
        public Window Of(TimeSpan length)
        {
            var minutes = Math.Max(1, (long)Math.Ceiling(length.TotalMinutes));
            if (!_read.TryGetValue(minutes, out var window))
            {
                var from = _end - TimeSpan.FromMinutes(minutes);
                _read[minutes] = window = new Window(from, _end, history.Window(from, _end));
            }
            return window;
        }

        private static DateTimeOffset StartOfMinute(DateTimeOffset at) => DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds() / 60 * 60);
    }

    /// <summary>One window's rows by app environment.</summary>
    private sealed class Window(DateTimeOffset from, DateTimeOffset to, IReadOnlyList<MetricsWindowRow> rows)
    {
        private readonly ILookup<(string App, string Env), MetricsWindowRow> _byApp = rows.ToLookup(r => (r.App, r.Env));

        public DateTimeOffset From { get; } = from;
        public DateTimeOffset To { get; } = to;
        public TimeSpan Length => To - From;

        public TrafficTotals Totals(AppRef app, string? service, string? route) => TrafficTotals.Of(_byApp[(app.App, app.Env)]
            .Where(r => (service is null || r.Service == service) && (route is null || r.Route == route)));
    }
}
