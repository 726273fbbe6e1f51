using Slipway.Manifests;

namespace Slipway.Monitoring.Alerts;

/// <summary>One reading of every rule's settings (see <see cref="AlertRules"/>).</summary>
internal sealed class AlertRuleSet
{
    private readonly IReadOnlyDictionary<string, AlertRuleDefinition> _builtIn;
    private readonly Dictionary<(string App, string Rule), AlertRuleSpec> _cli = [];
    private readonly IReadOnlyDictionary<string, IReadOnlyList<AlertRuleSpec>> _manifests;

    public AlertRuleSet(IReadOnlyDictionary<string, AlertRuleDefinition> builtIn, IReadOnlyList<(string App, string Rule, bool Custom, AlertRuleSpec Spec)> rows,
        IReadOnlyDictionary<string, IReadOnlyList<AlertRuleSpec>> manifests, IReadOnlyList<string> running)
    {
        _builtIn = builtIn;
        _manifests = manifests;
        foreach (var row in rows)
        {
            _cli[(row.App, row.Rule)] = row.Spec;
        }
        var custom = new List<CustomAlertRule>();
        foreach (var app in running)
        {
            var mine = rows.Where(r => r.Custom && r.App == app).Select(r => r.Spec).ToList();
            var fromManifest = manifests.TryGetValue(app, out var m)
                ? m.Where(s => s.IsCustom && mine.All(c => c.Name != s.Name)).Select(s => Toggled(app, s))
                : [];
            custom.AddRange(mine.Concat(fromManifest).Where(s => s.Enabled != false && !builtIn.ContainsKey(s.Name)).Select(s => Custom(app, s)).OfType<CustomAlertRule>());
        }
        CustomRules = custom;
    }

    /// <summary>Custom rules of every running app environment that are on.</summary>
    public IReadOnlyList<CustomAlertRule> CustomRules { get; }

    /// <summary>Custom rules of <paramref name="app"/> as written, with where each comes from (for listing; off ones too).</summary>
    public IReadOnlyList<(AlertRuleSpec Spec, string SetBy)> CustomOf(string app)
    {
        var cli = _cli.Where(e => e.Key.App == app && e.Value.IsCustom).Select(e => (e.Value, "cli")).ToList();
        var manifest = _manifests.TryGetValue(app, out var m)
            ? m.Where(s => s.IsCustom && cli.All(c => c.Value.Name != s.Name)).Select(s => (Toggled(app, s), "manifest"))
            : [];
        return [.. cli, .. manifest];
    }

    /// <summary>A manifest's custom rule as turned on or off from the CLI (<c>alerts off NAME --app</c>: a row of its
    /// own, not a custom rule, over the manifest's).</summary>
    private AlertRuleSpec Toggled(string app, AlertRuleSpec spec) =>
        _cli.TryGetValue((app, spec.Name), out var row) && !row.IsCustom && row.Enabled is { } on ? spec with { Enabled = on } : spec;

    /// <summary>The settings of built-in rule <paramref name="rule"/> for app row <paramref name="app"/> (null: the
    /// platform-wide ones), every field filled where the rule has it, and which level set the last field that differs
    /// from the defaults ("default", "platform", "manifest", "cli").</summary>
    public (AlertRuleSettings Settings, string SetBy) Resolve(string rule, string? app)
    {
        if (!_builtIn.TryGetValue(rule, out var definition))
        {
            return (new AlertRuleSettings(Enabled: false, Severity: AlertSeverity.Warning, Channels: []), "default");
        }
        var settings = definition.Defaults with { Enabled = definition.Defaults.Enabled ?? true, Channels = definition.Defaults.Channels ?? [] };
        var setBy = "default";
        if (_cli.TryGetValue(("", rule), out var platform))
        {
            settings = Settings(platform).Or(settings);
            setBy = "platform";
        }
        if (app is not null && definition.PerApp)
        {
            if (_manifests.TryGetValue(app, out var manifest) && manifest.FirstOrDefault(s => s.Name == rule) is { } fromManifest)
            {
                settings = Settings(fromManifest).Or(settings);
                setBy = "manifest";
            }
            if (_cli.TryGetValue((app, rule), out var cli))
            {
                settings = Settings(cli).Or(settings);
                setBy = "cli";
            }
        }
        return (settings with { Severity = settings.Severity ?? AlertSeverity.Warning }, setBy);
    }

    public AlertRuleSettings Settings(string rule, string? app) => Resolve(rule, app).Settings;

    public static AlertRuleSettings Settings(AlertRuleSpec spec) => new(spec.Enabled, spec.Over, spec.For, spec.MinRequests, spec.Count,
        spec.Severity is null ? null : JsonSpellings.Parse<AlertSeverity>(spec.Severity), spec.Channels);

    private static CustomAlertRule? Custom(string app, AlertRuleSpec spec)
    {
        if (spec.Metric is null || (spec.Over is null && spec.Under is null))
        {
            return null;
        }
        return new CustomAlertRule(spec.Name, app, JsonSpellings.Parse<TrafficMetric>(spec.Metric), spec.Over, spec.Under,
            spec.For ?? TimeSpan.FromMinutes(5), spec.MinRequests ?? (spec.Metric == "rpm" ? 0 : 20), spec.Service, spec.Route,
            spec.Severity is null ? AlertSeverity.Warning : JsonSpellings.Parse<AlertSeverity>(spec.Severity), spec.Channels ?? []);
    }
}
