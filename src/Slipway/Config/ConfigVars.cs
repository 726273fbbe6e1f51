using Slipway.Manifests;
using Slipway.State;

namespace Slipway.Config;

/// <summary>An app's config vars: stored encrypted (State/Store config_vars), read back whole as the
/// snapshot a new deployment runs with. Values are opaque bytes to Slipway: no interpolation, no trimming,
/// no quoting rules anywhere between `env set` and the app's environment.</summary>
internal sealed class ConfigVars(Store store, Keyring keyring, SecretRedactor redactor, IEnumerable<ISealedFile>? sealedFiles = null)
{

    /// <summary>The scope of variables shared by every environment of an app.</summary>
    public const string Shared = "";

    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "PORT", "HOST" };

    // Changes and key rotation exclude each other: a value is never encrypted under a key being retired.
    private readonly Lock _writes = new();

    /// <param name="Shared">Set for every environment of the app (an environment's own value wins).</param>
    public sealed record Entry(string Name, string Value, bool Secret, string UpdatedAt, bool Shared = false);

    /// <summary>The effective config of an environment (its row name: APP or APP-ENV): the app's shared
    /// variables, overridden by the environment's own.</summary>
    public IReadOnlyList<Entry> List(string key) => List(store.RefOf(key));

    /// <summary>As <see cref="List(string)"/>, for an environment that may have no row yet (its first deploy).</summary>
    public IReadOnlyList<Entry> List(AppRef target)
    {
        var (app, env) = target;
        var merged = new SortedDictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var v in store.ListConfig(app, Shared))
        {
            merged[v.Name] = new Entry(v.Name, keyring.Decrypt(v.ValueEnc), v.Secret != 0, v.UpdatedAt, Shared: true);
        }
        foreach (var v in store.ListConfig(app, env))
        {
            merged[v.Name] = new Entry(v.Name, keyring.Decrypt(v.ValueEnc), v.Secret != 0, v.UpdatedAt);
        }
        return merged.Values.ToList();
    }

    public ConfigSnapshot Snapshot(string key) => Snapshot(store.RefOf(key));

    public ConfigSnapshot Snapshot(AppRef target)
    {
        var entries = List(target);
        // Whoever takes a snapshot is about to run with it: its secrets are redacted from then on (a shared
        // secret reaches a new environment's logs this way too).
        redactor.Register(target.Key, entries.Where(e => e.Secret).Select(e => (e.Name, e.Value)));
        return new ConfigSnapshot(entries.ToDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal),
            entries.Where(e => e.Secret).Select(e => e.Name).ToList())
        {
            Defaults = [],
            Shared = entries.Where(e => e.Shared).Select(e => e.Name).ToList(),
        };
    }

    /// <summary>Applies a change whole (every name and size checked first: a refused change saves nothing).
    /// Returns whether anything changed.</summary>
    public bool Change(string key, IReadOnlyDictionary<string, string> set, bool secret, IReadOnlyList<string> unset, bool shared = false) =>
        Change(store.RefOf(key), set, secret, unset, shared);

    /// <inheritdoc cref="Change(string, IReadOnlyDictionary{string, string}, bool, IReadOnlyList{string}, bool)"/>
    public bool Change(AppRef target, IReadOnlyDictionary<string, string> set, bool secret, IReadOnlyList<string> unset, bool shared = false) =>
        Change(target, set, _ => secret, unset, shared);

    /// <summary>As the others, with some of <paramref name="set"/> secrets and some not (<paramref name="isSecret"/>
    /// by name): the dashboard's form saves both kinds in one change.</summary>
    public bool Change(AppRef target, IReadOnlyDictionary<string, string> set, Func<string, bool> isSecret, IReadOnlyList<string> unset, bool shared = false)
    {
        var (app, env) = target;
        var key = target.Key;
        var scope = shared ? Shared : env;
        lock (_writes)
        {
            Check(target, set, isSecret, unset, shared);
            var current = store.ListConfig(app, scope).ToDictionary(v => v.Name,
                v => new Entry(v.Name, keyring.Decrypt(v.ValueEnc), v.Secret != 0, v.UpdatedAt), StringComparer.Ordinal);
            var changed = set.Any(kv => !current.TryGetValue(kv.Key, out var e) || e.Value != kv.Value || e.Secret != isSecret(kv.Key)) ||
                unset.Any(current.ContainsKey);
            if (!changed)
            {
                return false;
            }
            store.ChangeConfig(app, scope, set.Select(kv => (kv.Key, keyring.Encrypt(kv.Value), isSecret(kv.Key))), unset);
        }
        var secrets = set.Where(kv => isSecret(kv.Key)).Select(kv => (kv.Key, kv.Value)).ToList();
        if (secrets.Count > 0)
        {
            // Shared secrets belong to every environment's logs.
            foreach (var environment in shared ? store.ListEnvironments(app).Select(e => e.Name).Append(key).Distinct() : [key])
            {
                redactor.Register(environment, secrets);
            }
        }
        return true;
    }

    /// <summary>Every problem of a change at once, as one user error ending "Nothing was saved.": names, values
    /// that cannot reach a process, secrets a build would inline, and environments the change makes too large
    /// (<see cref="ConfigLimits"/>). <see cref="Change(AppRef, IReadOnlyDictionary{string, string}, bool, IReadOnlyList{string}, bool)"/>
    /// checks again; call this first to create anything that goes with the change only if it will be made.</summary>
    public void Check(AppRef target, IReadOnlyDictionary<string, string> set, bool secret, IReadOnlyList<string> unset, bool shared = false) =>
        Check(target, set, _ => secret, unset, shared);

    /// <inheritdoc cref="Check(AppRef, IReadOnlyDictionary{string, string}, bool, IReadOnlyList{string}, bool)"/>
    public void Check(AppRef target, IReadOnlyDictionary<string, string> set, Func<string, bool> isSecret, IReadOnlyList<string> unset, bool shared = false)
    {
        var problems = set.Keys.Concat(unset).Select(Problem).OfType<string>().ToList();
        problems.AddRange(set.Select(kv => ConfigLimits.VariableProblem(kv.Key, kv.Value)).OfType<string>());
        problems.AddRange(set.Keys.Where(name => isSecret(name) && BrowserVariables.Is(name)).Select(name =>
            $"{name} cannot be a secret: frameworks inline {BrowserVariables.Prefixes.First(p => name.StartsWith(p, StringComparison.Ordinal))}* variables into the browser bundle, where anyone can read it. " +
            "Keep the secret on the server under another name (without that prefix), or set it without --secret if it is public."));
        if (problems.Count == 0)
        {
            problems.AddRange(TotalProblems(target.App, shared ? null : target.Env, set, unset));
        }
        if (problems.Count > 0)
        {
            throw new UserException(string.Join("\n", problems) + "\nNothing was saved.");
        }
    }

    /// <summary>After a rollback went live: the environment's own stored vars become the config the release runs
    /// with (<see cref="ConfigWriteBack"/>), in one transaction; shared vars, <paramref name="resourceVariables"/> and
    /// names changed since <paramref name="replaced"/> went live are never changed.</summary>
    public ConfigWriteBack WriteBack(AppRef target, ConfigSnapshot release, IReadOnlyList<VariableSpec> declared, ConfigSnapshot? replaced,
        IReadOnlyCollection<string> resourceVariables)
    {
        lock (_writes)
        {
            var plan = ConfigWriteBack.Plan(release, declared, Stored(target.App, target.Env), Stored(target.App, Shared), replaced, resourceVariables);
            if (!plan.ChangesNothing)
            {
                store.ChangeConfig(target.App, target.Env, plan.Set.Select(v => (v.Name, keyring.Encrypt(v.Value), v.Secret)), plan.Unset);
            }
            return plan;
        }
    }

    /// <summary>Seals a snapshot for a deployment row: (encrypted JSON, keyed fingerprint).</summary>
    public (string Sealed, string Fingerprint) Seal(ConfigSnapshot snapshot)
    {
        var json = snapshot.ToJson();
        return (keyring.Encrypt(json), keyring.Fingerprint(json));
    }

    /// <summary>Opens a deployment's sealed snapshot and teaches the redactor its secrets.</summary>
    public ConfigSnapshot Open(string app, string? sealedJson)
    {
        if (sealedJson is null)
        {
            return ConfigSnapshot.Empty;
        }
        var snapshot = ConfigSnapshot.FromJson(Keyring.IsCiphertext(sealedJson) ? keyring.Decrypt(sealedJson) : sealedJson);
        redactor.Register(app, snapshot.SecretValues());
        return snapshot;
    }

    /// <summary>`slipway keys rotate`: a new master key, every stored value re-encrypted under it in one
    /// transaction, then the old key retired. The caller holds every app's lock, so no deployment or config
    /// change writes a value under the old key meanwhile. Returns the new key id.</summary>
    public string RotateKey()
    {
        lock (_writes)
        {
            keyring.BeginRotation();
            FinishInterruptedRotation();
            return keyring.Current;
        }
    }

    /// <summary>At start-up after a crash mid-rotation (and as rotation's last steps): re-encrypt with the
    /// newest key, then make it the only one. Sealed files first, then the store in one transaction (config vars,
    /// deployments' snapshots, and the rows other subsystems registered with it as State.ISealedRows).</summary>
    public void FinishInterruptedRotation()
    {
        if (!keyring.RotationPending)
        {
            return;
        }
        string Plain(string value) => Keyring.IsCiphertext(value) ? keyring.Decrypt(value) : value;
        foreach (var file in sealedFiles ?? [])
        {
            file.Reseal(value => keyring.Encrypt(Plain(value)));
        }
        store.ReencryptAll(value => keyring.Encrypt(Plain(value)), sealedConfig => keyring.Fingerprint(Plain(sealedConfig)));
        keyring.CompleteRotation();
    }

    /// <summary>At start-up: the redactor learns every current secret.</summary>
    public void LoadSecrets()
    {
        // Collected first and registered in one batch per environment: each registration rebuilds its search.
        var byKey = new Dictionary<string, List<(string Name, string Value)>>(StringComparer.Ordinal);
        foreach (var v in store.ListAllConfig().Where(v => v.Secret != 0))
        {
            var keys = v.Env == Shared
                ? store.ListEnvironments(v.App).Select(e => e.Name).Append(v.App).Distinct()
                : [new AppRef(v.App, v.Env).Key];
            var value = keyring.Decrypt(v.ValueEnc);
            foreach (var key in keys)
            {
                (byKey.TryGetValue(key, out var list) ? list : byKey[key] = []).Add((v.Name, value));
            }
        }
        foreach (var (key, secrets) in byKey)
        {
            redactor.Register(key, secrets);
        }
    }

    private Dictionary<string, ConfigWriteBack.Stored> Stored(string app, string scope) =>
        store.ListConfig(app, scope).ToDictionary(v => v.Name, v => new ConfigWriteBack.Stored(keyring.Decrypt(v.ValueEnc), v.Secret != 0), StringComparer.Ordinal);

    /// <summary>Each environment the change reaches (one, or every one for a shared change) stays small enough
    /// to start a process with. A change that makes an environment smaller is never refused, so a config that
    /// grew too large before this check can always be repaired.</summary>
    private List<string> TotalProblems(string app, string? env, IReadOnlyDictionary<string, string> set, IReadOnlyList<string> unset)
    {
        var sharedVars = store.ListConfig(app, Shared).ToDictionary(v => v.Name, v => keyring.Decrypt(v.ValueEnc), StringComparer.Ordinal);
        var environments = env is not null ? [env] : store.ListEnvironments(app).Select(e => e.Env).Append(AppRef.Production).Distinct().ToList();
        var problems = new List<string>();
        foreach (var environment in environments)
        {
            var own = store.ListConfig(app, environment).ToDictionary(v => v.Name, v => keyring.Decrypt(v.ValueEnc), StringComparer.Ordinal);
            var before = Merge(sharedVars, own);
            var (nextShared, nextOwn) = env is null ? (Apply(sharedVars, set, unset), own) : (sharedVars, Apply(own, set, unset));
            var after = Merge(nextShared, nextOwn);
            if (ConfigLimits.TotalProblem(after) is { } problem && ConfigLimits.Total(after) > ConfigLimits.Total(before))
            {
                problems.Add(environment == AppRef.Production ? $"{app}: {problem}" : $"{app} ({environment}): {problem}");
            }
        }
        return problems;
    }

    private static Dictionary<string, string> Apply(Dictionary<string, string> vars, IReadOnlyDictionary<string, string> set, IReadOnlyList<string> unset)
    {
        var next = new Dictionary<string, string>(vars, StringComparer.Ordinal);
        foreach (var name in unset)
        {
            next.Remove(name);
        }
        foreach (var (name, value) in set)
        {
            next[name] = value;
        }
        return next;
    }

    private static Dictionary<string, string> Merge(Dictionary<string, string> shared, Dictionary<string, string> own)
    {
        var merged = new Dictionary<string, string>(shared, StringComparer.Ordinal);
        foreach (var (name, value) in own)
        {
            merged[name] = value;
        }
        return merged;
    }

    private static string? Problem(string name) =>
        !Manifests.ManifestKeys.EnvKeyPattern().IsMatch(name) ? $"'{name}' is not a valid variable name: use letters, digits and _, not starting with a digit (like DATABASE_URL)."
        : Reserved.Contains(name) ? $"{name} is set by Slipway for each instance and cannot be configured."
        : name.StartsWith("SLIPWAY_", StringComparison.Ordinal) ? $"{name}: names starting with SLIPWAY_ are reserved for the platform."
        : null;
}
