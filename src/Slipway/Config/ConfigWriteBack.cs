using Slipway.Manifests;

namespace Slipway.Config;

/// <summary>After a rollback: what to write into the environment's own stored vars so they are the config the
/// rolled-back release runs with, and the next `env set` builds on what is live. A pure function of the release's
/// snapshot, the snapshot of the release it replaced, and what is stored now.
///
///   release's snapshot ─ defaults (the manifest's; the environment had no value) ─ shared values ─► desired own
///   three-way: a stored name that differs from what the replaced release ran with was changed since (perhaps
///              while the rollback waited): kept as stored, warned about by name
///   resource variables (a database's URL) ─► never written: the database owns them; a difference is a warning
///   desired own vs stored own ─► set / unset (secret when the release or the stored var has it secret)
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

    /// <param name="replaced">The config of the release the rollback replaced (null: nothing was live).</param>
    /// <param name="resourceVariables">Names the environment's resources own (its databases' URL variables).</param>
    public static ConfigWriteBack Plan(ConfigSnapshot release, IReadOnlyList<VariableSpec> declared,
        IReadOnlyDictionary<string, Stored> own, IReadOnlyDictionary<string, Stored> shared,
        ConfigSnapshot? replaced = null, IReadOnlyCollection<string>? resourceVariables = null)
    {
        var (live, desiredOwn, defaults) = OwnOf(release, declared, own, shared);
        var resources = (resourceVariables ?? []).ToHashSet(StringComparer.Ordinal);
        var replacedOwn = replaced is null ? null : OwnOf(replaced, declared, own, shared).Own;
        // Changed since the replaced release went live: the stored value is not the one it ran with.
        var changedSince = replacedOwn is null
            ? []
            : own.Keys.Union(replacedOwn.Keys)
                .Where(name => !resources.Contains(name) &&
                    own.GetValueOrDefault(name).Value != replacedOwn.GetValueOrDefault(name).Value)
                .ToHashSet(StringComparer.Ordinal);
        var untouched = resources.Union(changedSince).ToHashSet(StringComparer.Ordinal);

        var ownAfter = own.Where(kv => untouched.Contains(kv.Key)).ToDictionary(StringComparer.Ordinal);
        foreach (var (name, wanted) in desiredOwn.Where(kv => !untouched.Contains(kv.Key)))
        {
            // Never lower the secret flag: a value either side called secret stays secret.
            ownAfter[name] = wanted with { Secret = wanted.Secret || (own.TryGetValue(name, out var now) && now.Secret) };
        }
        var set = ownAfter.Where(kv => !untouched.Contains(kv.Key) && (!own.TryGetValue(kv.Key, out var now) || now != kv.Value))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value.Value, kv.Value.Secret)).ToList();
        var unset = own.Keys.Where(name => !ownAfter.ContainsKey(name)).Order(StringComparer.Ordinal).ToList();

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
            if (has == runs && now.Value == running.Value)
            {
                continue;
            }
            if (resources.Contains(name))
            {
                warnings.Add($"{name} belongs to a database of this environment and is not changed by a rollback; the rolled-back release runs with " +
                    $"{(runs ? "another value" : "none")}, the next release gets the database's ('slipway db ls' shows it)");
            }
            else if (changedSince.Contains(name))
            {
                warnings.Add($"{name} was changed after the replaced release went live (perhaps while this rollback waited) and is kept as saved, " +
                    "not as the rolled-back release runs with: the next release gets the saved value ('slipway env diff' shows the difference)");
            }
            else
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

    /// <summary>What a release runs with, default values aside (the environment did not have them), and the part of
    /// it that was the environment's own (not shared).</summary>
    private static (Dictionary<string, Stored> Live, Dictionary<string, Stored> Own, HashSet<string> Defaults) OwnOf(ConfigSnapshot release,
        IReadOnlyList<VariableSpec> declared, IReadOnlyDictionary<string, Stored> own, IReadOnlyDictionary<string, Stored> shared)
    {
        var defaults = (release.Defaults ?? declared
            .Where(v => v.Default is not null && release.Vars.GetValueOrDefault(v.Name) == v.Default)
            .Select(v => v.Name).ToList()).ToHashSet(StringComparer.Ordinal);
        var fromShared = (release.Shared ?? release.Vars.Keys
            .Where(name => shared.ContainsKey(name) && !own.ContainsKey(name))
            .ToList()).ToHashSet(StringComparer.Ordinal);
        var live = release.Vars.Where(kv => !defaults.Contains(kv.Key))
            .ToDictionary(kv => kv.Key, kv => new Stored(kv.Value, release.Secrets.Contains(kv.Key)), StringComparer.Ordinal);
        return (live, live.Where(kv => !fromShared.Contains(kv.Key)).ToDictionary(StringComparer.Ordinal), defaults);
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
