using System.Collections.Concurrent;
using System.Text.Json;
using Slipway.Deploy;
using Slipway.Manifests;
using Slipway.State;

namespace Slipway.Monitoring.Alerts;

/// <summary>Which rules exist and how each is set for an app environment. A built-in rule's settings are its
/// source's defaults, overlaid by what is set platform-wide (<c>alerts set RULE --platform</c>), then by the live
/// release's manifest ("alerts"), then by what is set for the environment from the CLI: the operator's word is last,
/// so muting a rule during an incident does not wait for a deploy. Custom rules come from the live release's manifest
/// and from <c>alerts add</c> (the CLI's wins over a manifest rule of the same name).</summary>
internal sealed class AlertRules(IEnumerable<IAlertSource> sources, AlertStore alerts, Store store)
{
    private readonly ConcurrentDictionary<string, IReadOnlyList<AlertRuleSpec>> _manifests = new(StringComparer.Ordinal);

    /// <summary>Every built-in rule, by name, in the order sources declare them.</summary>
    public IReadOnlyDictionary<string, AlertRuleDefinition> BuiltIn { get; } = sources.SelectMany(s => s.Rules)
        .GroupBy(r => r.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    /// <summary>The settings and custom rules as they are now, read once for one evaluation or one listing.</summary>
    public AlertRuleSet Read()
    {
        var rows = alerts.Settings();
        var apps = store.ListApps();
        var manifests = new Dictionary<string, IReadOnlyList<AlertRuleSpec>>(StringComparer.Ordinal);
        foreach (var app in apps.Where(a => a.LiveDeploymentId is not null))
        {
            manifests[app.Name] = ManifestRules(app.LiveDeploymentId!);
        }
        var running = apps.Where(a => a.LiveDeploymentId is not null && a.DesiredState == "running").Select(a => a.Name).ToList();
        return new AlertRuleSet(BuiltIn, rows, manifests, running);
    }

    /// <summary>A deployment's "alerts", parsed once: a deployment's spec never changes.</summary>
    private IReadOnlyList<AlertRuleSpec> ManifestRules(string deploymentId) => _manifests.GetOrAdd(deploymentId, id =>
    {
        var json = store.FindDeployment(id)?.SpecJson;
        return json is null ? [] : JsonSerializer.Deserialize<AppSpec>(json, Release.Json)?.Alerts ?? [];
    });
}
