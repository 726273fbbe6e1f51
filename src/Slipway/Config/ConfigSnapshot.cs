using System.Text.Json;

namespace Slipway.Config;

/// <summary>The exact config a deployment ran with: values, and which of them are secrets. Stored sealed
/// (encrypted) with the deployment, so a rollback restores code and config together.</summary>
internal sealed record ConfigSnapshot(IReadOnlyDictionary<string, string> Vars, IReadOnlyList<string> Secrets)
{
    public static readonly ConfigSnapshot Empty = new(new Dictionary<string, string>(), []);

    private static readonly JsonSerializerOptions Json = JsonSpellings.Web();

    /// <summary>Names filled in from the manifest's declared defaults (the environment did not set them). Null for
    /// a snapshot sealed before this was recorded.</summary>
    public IReadOnlyList<string>? Defaults { get; init; }

    /// <summary>Names whose value came from the app's shared variables (`env set --shared`), not the environment's
    /// own. Null for a snapshot sealed before this was recorded.</summary>
    public IReadOnlyList<string>? Shared { get; init; }

    /// <summary>Canonical JSON (sorted keys), so equal configs have equal fingerprints.</summary>
    public string ToJson() => JsonSerializer.Serialize(new Stored(
        new SortedDictionary<string, string>(Vars.ToDictionary(), StringComparer.Ordinal), Secrets.Order(StringComparer.Ordinal).ToList(),
        Sorted(Defaults), Sorted(Shared)), Json);

    public static ConfigSnapshot FromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        // Deployments made before config existed stored a plain {} of variables.
        if (!doc.RootElement.TryGetProperty("vars", out _))
        {
            return new ConfigSnapshot(JsonSerializer.Deserialize<Dictionary<string, string>>(json, Json) ?? [], []);
        }
        var stored = JsonSerializer.Deserialize<Stored>(json, Json)!;
        return new ConfigSnapshot(stored.Vars, stored.Secrets) { Defaults = stored.Defaults, Shared = stored.Shared };
    }

    public IEnumerable<(string Name, string Value)> SecretValues() =>
        Secrets.Where(Vars.ContainsKey).Select(name => (name, Vars[name]));

    private static List<string> Sorted(IReadOnlyList<string>? names) => (names ?? []).Order(StringComparer.Ordinal).ToList();

    // Defaults and Shared are absent (null) in snapshots sealed before they were recorded.
    private sealed record Stored(SortedDictionary<string, string> Vars, List<string> Secrets, List<string>? Defaults = null, List<string>? Shared = null);
}
