using Slipway.Manifests;

namespace Slipway.Config;

/// <summary>After a rollback: what to write into the environment's own stored vars so they are the config the
/// rolled-back release runs with, and the next `env set` builds on what is live. A pure function of the release's
/// snapshot and what is stored now.
///
///   release's snapshot ─ defaults (the manifest's; the environment had no value) ─ shared values ─► desired own
///   desired own vs stored own ─► set / unset (each with the release's secret flag)
///   effective before vs after ─► +NAME -NAME ~NAME (names only, never values)
///   effective after vs what the release runs with ─► warnings: shared vars are never rewritten by one
///                                                    environment's rollback
///
/// Snapshots sealed before defaults and shared names were recorded (Defaults/Shared null) are read as well as
/// they can be: a declared default's own value counts as a default, and a name that is shared now (and not the
/// environment's own) as shared.</summary>
internal sealed record ConfigWriteBack(
    IReadOnlyList<(string Name, string Value, bool Secret)> Set,
    IReadOnlyList<string> Unset,
    IReadOnlyList<string> Changes,
    IReadOnlyList<string> Warnings)
{
    public readonly record struct Stored(string Value, bool Secret);

    public bool ChangesNothing => Set.Count == 0 && Unset.Count == 0;

    public static ConfigWriteBack Plan(ConfigSnapshot release, IReadOnlyList<VariableSpec> declared,
        IReadOnlyDictionary<string, Stored> own, IReadOnlyDictionary<string, Stored> shared)
    {
        var defaults = (release.Defaults ?? declared
            .Where(v => v.Default is not null && release.Vars.GetValueOrDefault(v.Name) == v.Default)
            .Select(v => v.Name).ToList()).ToHashSet(StringComparer.Ordinal);
        var fromShared = (release.Shared ?? release.Vars.Keys
            .Where(name => shared.ContainsKey(name) && !own.ContainsKey(name))
            .ToList()).ToHashSet(StringComparer.Ordinal);
        // What the live release runs with, default values aside (the environment did not have them).
        var live = release.Vars.Where(kv => !defaults.Contains(kv.Key))
            .ToDictionary(kv => kv.Key, kv => new Stored(kv.Value, release.Secrets.Contains(kv.Key)), StringComparer.Ordinal);
        var desiredOwn = live.Where(kv => !fromShared.Contains(kv.Key)).ToDictionary(StringComparer.Ordinal);

        var set = desiredOwn.Where(kv => !own.TryGetValue(kv.Key, out var now) || now != kv.Value)
            .OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value.Value, kv.Value.Secret)).ToList();
        var unset = own.Keys.Where(name => !desiredOwn.ContainsKey(name)).Order(StringComparer.Ordinal).ToList();

        var ownAfter = new Dictionary<string, Stored>(desiredOwn, StringComparer.Ordinal);
        var before = Effective(own, shared);
        var after = Effective(ownAfter, shared);
        var changes = new List<string>();
        var warnings = new List<string>();
        foreach (var name in before.Keys.Union(after.Keys).Union(live.Keys).Order(StringComparer.Ordinal))
        {
            var had = before.TryGetValue(name, out var old);
            var has = after.TryGetValue(name, out var now);
            if (had != has || old != now)
            {
                changes.Add((!had ? "+" : !has ? "-" : "~") + name);
            }
            var runs = live.TryGetValue(name, out var running);
            if (has != runs || now != running)
            {
                warnings.Add(!runs
                    ? $"shared {name} is set, but the rolled-back release runs without it{(defaults.Contains(name) ? " (with slipway.json's default)" : "")}: " +
                      "the next release of this environment gets the shared value ('slipway env set' gives this environment its own)"
                    : !has
                        ? $"{name} was a shared variable when the rolled-back release ran and is not set now: the release runs with it, the next one will not " +
                          "unless it is set again ('slipway env set --shared', or 'slipway env set' for this environment alone)"
                        : $"shared {name} differs from the value the rolled-back release runs with: the next release of this environment gets the shared value " +
                          "('slipway env set' gives this environment its own; shared variables are not changed by one environment's rollback)");
            }
        }
        return new ConfigWriteBack(set, unset, changes, warnings);
    }

    private static Dictionary<string, Stored> Effective(IReadOnlyDictionary<string, Stored> own, IReadOnlyDictionary<string, Stored> shared)
    {
        var merged = new Dictionary<string, Stored>(shared, StringComparer.Ordinal);
        foreach (var (name, value) in own)
        {
            merged[name] = value;
        }
        return merged;
    }
}
