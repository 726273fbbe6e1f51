using Slipway.Manifests;
using Slipway.State;

namespace Slipway.Monitoring.Alerts;

/// <summary>Reading and changing alert rules from the API: a built-in rule set (or turned on/off) platform-wide or for
/// one app environment, custom rules added and removed, what fires and what fired. Every field of a request is checked
/// before anything is saved, and every error names the flag to fix.</summary>
internal sealed class AlertConfig(AlertRules rules, AlertStore alerts, Store store, TimeProvider clock, Channels.ChannelStore? channels = null)
{
    public AlertsView List(AppRef? scope)
    {
        var app = scope?.Key;
        var set = rules.Read();
        var views = rules.BuiltIn.Values.Where(d => app is null || d.PerApp).Select(d =>
        {
            var (settings, setBy) = set.Resolve(d.Name, app);
            return new AlertRuleView(d.Name, false, d.Description, settings.Enabled != false, AlertFormat.Threshold(settings.Over, d.Unit), null,
                settings.For, settings.MinRequests, settings.Count, settings.Severity ?? AlertSeverity.Warning, settings.Channels ?? [], setBy);
        }).ToList();
        if (app is not null)
        {
            foreach (var (spec, setBy) in set.CustomOf(app))
            {
                var unit = AlertFormat.Unit(AlertRuleNames.Metrics.GetValueOrDefault(spec.Metric ?? "", AlertThreshold.None));
                views.Add(new AlertRuleView(spec.Name, true, $"custom: {spec.Metric} {(spec.Over is not null ? "over" : "under")} " +
                    $"{AlertFormat.Threshold(spec.Over ?? spec.Under, unit)} for {Durations.Format(spec.For ?? TimeSpan.FromMinutes(5))}",
                    spec.Enabled != false, AlertFormat.Threshold(spec.Over, unit), AlertFormat.Threshold(spec.Under, unit), spec.For ?? TimeSpan.FromMinutes(5),
                    spec.MinRequests, null, spec.Severity is null ? AlertSeverity.Warning : JsonSpellings.Parse<AlertSeverity>(spec.Severity),
                    spec.Channels ?? [], setBy, spec.Metric, spec.Service, spec.Route));
            }
        }
        var firing = alerts.Firing().Where(a => app is null || a.App == app).Select(View).ToList();
        return new AlertsView(scope?.App, scope?.Env, views, firing);
    }

    public IReadOnlyList<AlertView> History(DateTimeOffset since, AppRef? scope, int limit) =>
        alerts.History(since, scope?.Key, limit).Select(View).ToList();

    public AlertView View(AlertRecord alert)
    {
        var app = alert.AppRow is { } row ? store.RefOf(row) : (AppRef?)null;
        return new AlertView(alert.Id, alert.Rule, alert.Subject, app?.App, app?.Env, alert.AlertSeverity, alert.AlertState, alert.Title, alert.Detail,
            alert.StartedAt, alert.ResolvedAt);
    }

    /// <summary>Changes built-in rule <paramref name="rule"/> for <paramref name="scope"/> (null: platform-wide); fields
    /// not given keep what was set before at that level.</summary>
    public AlertsView Set(AppRef? scope, string rule, AlertRuleBody body)
    {
        if (!rules.BuiltIn.TryGetValue(rule, out var definition))
        {
            if (scope is { } target && body == new AlertRuleBody(Enabled: body.Enabled) && body.Enabled is { } on && Toggle(target, rule, on))
            {
                return List(scope);
            }
            var custom = scope is { } s && (alerts.Setting(s.Key, rule) is { IsCustom: true } || rules.Read().CustomOf(s.Key).Any(c => c.Spec.Name == rule));
            throw new UserException(custom
                ? $"{rule} is a custom rule: change it by removing and adding it again (slipway alerts rm {rule} {scope!.Value.Flags}; slipway alerts add {rule} ...), or turn it off with slipway alerts off {rule} {scope!.Value.Flags}."
                : $"There is no built-in rule named {rule}{Closest(rule)}. slipway alerts ls lists them; a rule of your own is added with slipway alerts add NAME --metric ...");
        }
        if (scope is { } app && !definition.PerApp)
        {
            throw new UserException($"{rule} is a platform-wide rule: set it with slipway alerts set {rule} --platform (without --app).");
        }
        var errors = new List<string>();
        var terms = Terms(definition);
        var unit = terms.Threshold;
        if (body.Metric is not null || body.Under is not null || body.Service is not null || body.Route is not null)
            errors.Add($"--metric, --under, --service and --route belong to custom rules (slipway alerts add NAME ...); {rule} is built in");
        if (body.Over is not null && unit == AlertThreshold.None)
            errors.Add($"--over: {rule} has no threshold");
        if (body.For is not null && !terms.For)
            errors.Add($"--for: {rule} has no duration to set");
        if (body.Count is not null && !terms.Count)
            errors.Add($"--count: {rule} has no count to set");
        if (body.MinRequests is not null && !terms.MinRequests)
            errors.Add($"--min-requests: {rule} has no request minimum to set");
        var parsed = Parse(body, unit, rule, errors);
        Throw(errors);
        var key = scope?.Key ?? "";
        var before = alerts.Setting(key, rule) ?? new AlertRuleSpec { Name = rule };
        var merged = before with
        {
            Enabled = body.Enabled ?? before.Enabled,
            Over = parsed.Over ?? before.Over,
            For = parsed.For ?? before.For,
            MinRequests = body.MinRequests ?? before.MinRequests,
            Count = body.Count ?? before.Count,
            Severity = body.Severity ?? before.Severity,
            Channels = body.Channels ?? before.Channels,
        };
        alerts.SaveSetting(key, merged, clock.GetUtcNow());
        return List(scope);
    }

    /// <summary>Forgets what was set for <paramref name="rule"/> at this level (a custom rule: removes it).</summary>
    public AlertsView Reset(AppRef? scope, string rule)
    {
        if (!alerts.DeleteSetting(scope?.Key ?? "", rule))
        {
            var where = scope is { } s ? $"for {s}" : "platform-wide";
            throw new UserException($"Nothing is set {where} for a rule named {rule}. slipway alerts ls{(scope is { } a ? " " + a.Flags : " --platform")} shows the rules and where each is set.", 404);
        }
        return List(scope);
    }

    /// <summary>Adds (or replaces) custom rule <paramref name="body"/>.Name of <paramref name="scope"/>.</summary>
    public AlertsView Add(AppRef scope, AlertRuleBody body)
    {
        var errors = new List<string>();
        var name = body.Name?.Trim() ?? "";
        if (!AlertsReader.NamePattern().IsMatch(name))
            errors.Add($"NAME: expected lowercase letters, digits and -, starting with a letter (like slow-checkout), got \"{name}\"");
        else if (AlertRuleNames.BuiltIn.ContainsKey(name))
            errors.Add($"NAME: {name} is a built-in rule; change it with slipway alerts set {name} {scope.Flags}, or pick another name");
        var unit = AlertThreshold.None;
        if (body.Metric is null)
            errors.Add($"--metric: missing; give one of {string.Join(", ", AlertRuleNames.Metrics.Keys)}");
        else if (!AlertRuleNames.Metrics.TryGetValue(body.Metric, out unit))
            errors.Add($"--metric: expected one of {string.Join(", ", AlertRuleNames.Metrics.Keys)}, got \"{body.Metric}\"");
        if ((body.Over is null) == (body.Under is null))
            errors.Add("--over / --under: give exactly one threshold, like --over 800ms or --under 1");
        if (body.Count is not null)
            errors.Add("--count: a custom rule has none; use --over or --under");
        if (body.Route is { } route && !route.StartsWith('/'))
            errors.Add($"--route: expected a path starting with \"/\" like /checkout, got \"{route}\"");
        if (store.FindApp(scope.Key) is null)
            errors.Add($"--app: {scope} does not exist; deploy it first (slipway deploy {scope.Flags})");
        var parsed = unit == AlertThreshold.None ? (Over: null, Under: null, For: null) : Parse(body, unit, name, errors);
        Throw(errors);
        var spec = new AlertRuleSpec
        {
            Name = name, Enabled = body.Enabled, Metric = body.Metric, Over = parsed.Over, Under = parsed.Under, For = parsed.For,
            MinRequests = body.MinRequests, Severity = body.Severity, Channels = body.Channels, Service = body.Service, Route = body.Route,
        };
        alerts.SaveSetting(scope.Key, spec, clock.GetUtcNow());
        return List(scope);
    }

    /// <summary>Turns custom rule <paramref name="rule"/> of <paramref name="scope"/> on or off: one added with the CLI in
    /// its row; one of the live release's manifest by a row of its own over it. False when there is no such rule.</summary>
    private bool Toggle(AppRef scope, string rule, bool on)
    {
        var now = clock.GetUtcNow();
        if (alerts.Setting(scope.Key, rule) is { IsCustom: true } added)
        {
            alerts.SaveSetting(scope.Key, added with { Enabled = on }, now);
            return true;
        }
        if (rules.Read().CustomOf(scope.Key).Any(c => c.Spec.Name == rule && c.SetBy == "manifest"))
        {
            alerts.SaveSetting(scope.Key, new AlertRuleSpec { Name = rule, Enabled = on }, now);
            return true;
        }
        return false;
    }

    private (double? Over, double? Under, TimeSpan? For) Parse(AlertRuleBody body, AlertThreshold unit, string rule, List<string> errors)
    {
        double? Read(string flag, string? text)
        {
            if (text is null || unit == AlertThreshold.None)
                return null;
            var value = AlertRuleNames.ReadThreshold(text, unit, out var error);
            if (value is null)
                errors.Add($"{flag}: {error}");
            return value;
        }
        TimeSpan? window = null;
        if (body.For is { } text)
        {
            if (Durations.TryParseWindow(text, out var parsed) && parsed > TimeSpan.Zero && parsed <= AlertRuleNames.MaxFor(rule))
                window = parsed;
            else
                errors.Add($"--for: expected a duration like 5m (at most {AlertRuleNames.MaxForText(rule)} for {rule}), got \"{text}\"");
        }
        if (body.Severity is { } severity && !AlertRuleNames.Severities.Contains(severity))
            errors.Add($"--severity: expected warning or critical, got \"{severity}\"");
        if (body.MinRequests is < 0)
            errors.Add("--min-requests: expected 0 or more");
        if (body.Count is < 1 or > 10_000)
            errors.Add("--count: expected a whole number from 1 to 10000");
        if (body.Channels?.Any(c => string.IsNullOrWhiteSpace(c)) == true)
            errors.Add("--channels: expected channel names separated by commas, like ops,pager");
        else if (channels is not null && body.Channels?.Where(c => channels.Find(c) is null).ToList() is { Count: > 0 } unknown)
            errors.Add($"--channels: no channel named {string.Join(", ", unknown)}; slipway channels ls lists them (add one with slipway channels add NAME ...)");
        return (Read("--over", body.Over), Read("--under", body.Under), window);
    }

    private static void Throw(List<string> errors)
    {
        if (errors.Count > 0)
        {
            throw new UserException(errors.Count == 1 ? errors[0] : "The rule has errors:\n  " + string.Join("\n  ", errors));
        }
    }

    /// <summary>What a built-in rule takes, from its definition: a setting exists where its defaults have a value.</summary>
    public static AlertRuleTerms Terms(AlertRuleDefinition definition) => new(
        definition.Unit switch
        {
            ThresholdUnit.Percent => AlertThreshold.Percent,
            ThresholdUnit.Seconds => AlertThreshold.Seconds,
            ThresholdUnit.Count => AlertThreshold.Count,
            _ => AlertThreshold.None,
        },
        For: definition.Defaults.For is not null, Count: definition.Defaults.Count is not null,
        MinRequests: definition.Defaults.MinRequests is not null, PerApp: definition.PerApp);

    private string Closest(string rule) => Suggestions.Closest(rule, rules.BuiltIn.Keys) is { } near ? $" (did you mean {near}?)" : "";
}
