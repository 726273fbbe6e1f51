using System.Collections.Frozen;

namespace Slipway.Edge;

/// <summary>What the edge does for custom domains beyond routing them to their app: names that only redirect
/// (www.shop.example.com → shop.example.com, 308, path and query kept) and domains that opted in to HSTS. Owned by
/// the Domains subsystem, which publishes a new immutable snapshot whenever a domain changes; requests read the
/// current one without locks.</summary>
internal sealed class DomainPolicies
{
    public const string Hsts = "max-age=31536000";

    private volatile Snapshot _current = new(FrozenDictionary<string, string>.Empty, FrozenSet<string>.Empty);

    /// <summary>Replaces every policy at once: <paramref name="redirects"/> maps a redirect-from name to its
    /// domain; <paramref name="hsts"/> lists the domains (and their redirect-from names) that send HSTS.</summary>
    public void Publish(IEnumerable<KeyValuePair<string, string>> redirects, IEnumerable<string> hsts) =>
        _current = new Snapshot(redirects.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase), hsts.ToFrozenSet(StringComparer.OrdinalIgnoreCase));

    /// <summary>The domain a redirect-from name points at, or null.</summary>
    public string? RedirectTarget(string host) =>
        _current.Redirects.Count > 0 && _current.Redirects.TryGetValue(host, out var target) ? target : null;

    public bool SendsHsts(string host) => _current.Hsts.Count > 0 && _current.Hsts.Contains(host);

    private sealed record Snapshot(FrozenDictionary<string, string> Redirects, FrozenSet<string> Hsts);
}
