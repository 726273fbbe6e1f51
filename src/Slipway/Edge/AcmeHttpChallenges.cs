using System.Collections.Concurrent;

namespace Slipway.Edge;

/// <summary>The HTTP-01 answers the edge gives while an ACME order is open: GET
/// http://HOST/.well-known/acme-challenge/TOKEN answers the key authorization, before any app rule, on any host
/// the challenge was set for. The issuer sets an answer just before it asks the CA to validate and removes it
/// after; nothing else is ever answered at that path by the edge itself (an unknown token goes to the app).</summary>
internal sealed class AcmeHttpChallenges
{
    public const string PathPrefix = "/.well-known/acme-challenge/";

    private readonly ConcurrentDictionary<(string Host, string Token), string> _answers = new();

    public int Count => _answers.Count;

    public void Set(string host, string token, string keyAuthorization) =>
        _answers[(host.ToLowerInvariant(), token)] = keyAuthorization;

    public void Remove(string host, string token) => _answers.TryRemove((host.ToLowerInvariant(), token), out _);

    /// <summary>The answer for a request path under <see cref="PathPrefix"/> on a host, or null.</summary>
    public string? Answer(string host, string path)
    {
        if (_answers.IsEmpty || !path.StartsWith(PathPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var token = path[PathPrefix.Length..];
        var colon = host.LastIndexOf(':');
        if (colon > 0 && !host.EndsWith(']'))
        {
            host = host[..colon];
        }
        return _answers.TryGetValue((host.ToLowerInvariant(), token), out var answer) ? answer : null;
    }
}
