using System.Text.Json;
using System.Text.RegularExpressions;

namespace Slipway.Manifests;

/// <summary>Reads the top-level "alerts": { "error-rate": { "over": "10%" }, "oom-kill": false, "slow-checkout":
/// { "metric": "p95", "route": "/checkout", "over": "800ms", "for": "10m" } }. A key naming a built-in rule adjusts it
/// for this app (true/false turns it on or off); any other key is a custom rule and needs "metric". The rules follow
/// the deployment, as crons do: the live release's manifest is the one in effect.</summary>
internal static partial class AlertsReader
{
    private const string Example = "\"alerts\": { \"error-rate\": { \"over\": \"10%\" }, \"slow-checkout\": { \"metric\": \"p95\", \"over\": \"800ms\" } }";

    [GeneratedRegex("^[a-z][a-z0-9-]{0,39}$")]
    public static partial Regex NamePattern();

    public static IReadOnlyList<AlertRuleSpec> Read(ManifestObject root, ManifestDiagnostics diagnostics)
    {
        var rules = new List<AlertRuleSpec>();
        if (root.Raw("alerts") is not { } map)
        {
            return rules;
        }
        if (map.ValueKind != JsonValueKind.Object)
        {
            root.Error("alerts", $"expected an object of rules by name, like {Example}; got {ManifestObject.Describe(map)}");
            return rules;
        }
        foreach (var property in map.EnumerateObject())
        {
            var path = ManifestDiagnostics.Join("alerts", property.Name);
            AlertRuleNames.BuiltIn.TryGetValue(property.Name, out var terms);
            if (terms is null && !NamePattern().IsMatch(property.Name))
            {
                diagnostics.Error(path, $"\"{property.Name}\" cannot be a rule name: use lowercase letters, digits and -, starting with a letter (like slow-checkout)");
                continue;
            }
            if (terms is { PerApp: false })
            {
                diagnostics.Error(path, $"{property.Name} is a platform-wide rule, not one of an app: set it with slipway alerts set {property.Name} --platform");
                continue;
            }
            if (property.Value.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                if (terms is null)
                {
                    diagnostics.Error(path, $"\"{property.Name}\" is not a built-in rule ({string.Join(", ", AlertRuleNames.BuiltIn.Keys)}); " +
                        $"a custom rule is an object with \"metric\", like {{ \"metric\": \"p95\", \"over\": \"800ms\" }}");
                    continue;
                }
                rules.Add(new AlertRuleSpec { Name = property.Name, Enabled = property.Value.ValueKind == JsonValueKind.True });
                continue;
            }
            if (ManifestObject.Open(property.Value, path, diagnostics, ManifestKeys.AlertKeys) is not { } rule)
            {
                continue;
            }
            if (Read(rule, property.Name, terms) is { } spec)
            {
                rules.Add(spec);
            }
        }
        return rules;
    }

    private static AlertRuleSpec? Read(ManifestObject rule, string name, AlertRuleTerms? terms)
    {
        var metric = rule.String("metric", "one of " + string.Join(", ", AlertRuleNames.Metrics.Keys.Select(k => $"\"{k}\"")));
        AlertThreshold unit;
        if (terms is not null)
        {
            foreach (var key in new[] { "metric", "under", "service", "route" }.Where(rule.Has))
            {
                rule.Error(key, $"{name} is a built-in rule; \"{key}\" belongs to a custom rule (give it another name with \"metric\")");
            }
            if (terms.Threshold == AlertThreshold.None && rule.Has("over"))
                rule.Error("over", $"{name} has no threshold to set");
            if (!terms.For && rule.Has("for"))
                rule.Error("for", $"{name} has no duration to set");
            if (!terms.Count && rule.Has("count"))
                rule.Error("count", $"{name} has no count to set");
            if (!terms.MinRequests && rule.Has("minRequests"))
                rule.Error("minRequests", $"{name} has no request minimum to set");
            unit = terms.Threshold;
            metric = null;
        }
        else
        {
            if (!rule.Has("metric"))
            {
                var closest = Suggestions.Closest(name, AlertRuleNames.BuiltIn.Keys);
                rule.Error("metric", $"missing: \"{name}\" is not a built-in rule{(closest is null ? "" : $" (did you mean \"{closest}\"?)")}, so it is a custom rule and needs \"metric\": " +
                    string.Join(", ", AlertRuleNames.Metrics.Keys.Select(k => $"\"{k}\"")));
                return null;
            }
            if (metric is null)
                return null;
            if (!AlertRuleNames.Metrics.TryGetValue(metric, out unit))
            {
                var closest = Suggestions.Closest(metric, AlertRuleNames.Metrics.Keys);
                rule.Error("metric", $"expected one of {string.Join(", ", AlertRuleNames.Metrics.Keys.Select(k => $"\"{k}\""))}, got \"{metric}\"{(closest is null ? "" : $"; did you mean \"{closest}\"?")}");
                return null;
            }
            if (rule.Has("over") == rule.Has("under"))
                rule.Error(rule.Has("over") ? "under" : "over", "give the threshold as either \"over\" or \"under\", not both or neither");
            if (rule.Has("count"))
                rule.Error("count", "a custom rule has no count; use \"over\" or \"under\"");
        }

        var severity = rule.String("severity", "\"warning\" or \"critical\"");
        if (severity is not null && !AlertRuleNames.Severities.Contains(severity))
        {
            rule.Error("severity", $"expected \"warning\" or \"critical\", got \"{severity}\"");
        }
        var channels = Channels(rule);
        var route = rule.String("route", "a route path like \"/checkout\"");
        if (route is not null && !route.StartsWith('/'))
        {
            rule.Error("route", $"expected a path starting with \"/\" like \"/checkout\", got \"{route}\"");
        }
        var window = rule.Duration("for");
        if (window > AlertRuleNames.MaxFor(name))
        {
            rule.Error("for", $"at most {AlertRuleNames.MaxForText(name)} for {(terms is null ? "a custom rule" : name)}, got {Durations.Format(window.Value)}");
        }
        return new AlertRuleSpec
        {
            Name = name,
            Enabled = rule.Bool("enabled"),
            Metric = metric,
            Over = Threshold(rule, "over", unit),
            Under = Threshold(rule, "under", unit),
            For = window,
            MinRequests = rule.Int("minRequests", 0, 1_000_000_000),
            Count = rule.Int("count", 1, 10_000),
            Severity = severity,
            Channels = channels,
            Service = rule.String("service", "a service name like \"web\""),
            Route = route,
        };
    }

    private static double? Threshold(ManifestObject rule, string key, AlertThreshold unit)
    {
        if (rule.Raw(key) is not { } value || unit == AlertThreshold.None)
        {
            return null;
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && number >= 0 &&
            (unit != AlertThreshold.Percent || number <= 100) && (unit != AlertThreshold.Count || number == Math.Floor(number)))
        {
            return number;
        }
        if (value.ValueKind == JsonValueKind.String && AlertRuleNames.ReadThreshold(value.GetString()!, unit, out var error) is { } read)
        {
            return read;
        }
        var expected = unit switch
        {
            AlertThreshold.Percent => "a percentage like \"5%\"",
            AlertThreshold.Seconds => "a duration like \"1s\" or \"800ms\"",
            _ => "a whole number like 3",
        };
        rule.Error(key, $"expected {expected}, got {ManifestObject.Describe(value)}");
        return null;
    }

    private static IReadOnlyList<string>? Channels(ManifestObject rule)
    {
        if (rule.Raw("channels") is not { } value)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString())))
        {
            rule.Error("channels", $"expected a list of channel names like [\"ops\", \"pager\"], got {ManifestObject.Describe(value)}");
            return null;
        }
        return value.EnumerateArray().Select(v => v.GetString()!).ToList();
    }
}
