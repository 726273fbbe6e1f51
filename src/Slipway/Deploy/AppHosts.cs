using System.Text.Json;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>The hostnames an app answers: APP.localhost plus the extra ones given with --host. A hostname
/// belongs to one app only; taking another app's is refused rather than silently moving its traffic.</summary>
internal sealed class AppHosts(Store store)
{
    public IReadOnlyList<string> For(string app) => [$"{app}.localhost", .. Extra(store.FindApp(app))];

    /// <summary>Throws a user error when a hostname is malformed or already serves another app.</summary>
    public void Validate(string app, IReadOnlyList<string> extra)
    {
        var owners = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var other in store.ListApps().Where(a => a.Name != app))
        {
            owners[$"{other.Name}.localhost"] = other.Name;
            foreach (var host in Extra(other))
            {
                owners[host] = other.Name;
            }
        }
        if (owners.TryGetValue($"{app}.localhost", out var squatter))
        {
            throw new UserException($"{app}.localhost is already a --host of app {squatter}. Pick another app name, or remove that host from {squatter} first.");
        }
        foreach (var host in extra)
        {
            AppNames.ValidateHost(host);
            if (owners.TryGetValue(host, out var owner))
            {
                throw new UserException($"{host} already serves app {owner}; a hostname belongs to one app. Use another hostname, or destroy or redeploy {owner} without it.");
            }
        }
    }

    /// <summary>Records the app's extra hostnames (validated again: another app may have taken one meanwhile).</summary>
    public void Set(string app, IReadOnlyList<string> extra)
    {
        Validate(app, extra);
        store.SetHosts(app, JsonSerializer.Serialize(extra.Select(h => h.ToLowerInvariant()).Distinct().ToList()));
    }

    private static List<string> Extra(AppRecord? record) =>
        record is null ? [] : JsonSerializer.Deserialize<List<string>>(record.Hosts) ?? [];
}
