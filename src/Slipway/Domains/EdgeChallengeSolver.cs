using Slipway.Domains.Acme;
using Slipway.Edge;
using Slipway.Edge.Tls;

namespace Slipway.Domains;

/// <summary>Answers the CA's challenges on this platform's own edge: http-01 under /.well-known/acme-challenge/ on
/// the HTTP port (<see cref="AcmeHttpChallenges"/>), before any rule of the app the name routes to, and tls-alpn-01
/// on the HTTPS port (<see cref="AcmeTlsChallenges"/>) to a handshake that offers acme-tls/1. The client prefers
/// http-01; <see cref="DomainsOptions.ChallengeTypes"/> narrows the choice.</summary>
internal sealed class EdgeChallengeSolver(AcmeHttpChallenges http, AcmeTlsChallenges tls, DomainsOptions options, TimeProvider clock) : IAcmeChallengeSolver
{
    public IReadOnlySet<string> Supports { get; } = options.ChallengeTypes.ToHashSet(StringComparer.Ordinal);

    public Task PresentAsync(string host, string type, string token, string keyAuthorization, CancellationToken cancellationToken)
    {
        if (type == AcmeChallenge.TlsAlpn01)
        {
            tls.Set(host, AcmeChallengeAnswers.TlsAlpn01Certificate(host, keyAuthorization, clock.GetUtcNow()));
        }
        else
        {
            http.Set(host, token, keyAuthorization);
        }
        return Task.CompletedTask;
    }

    public Task CleanupAsync(string host, string type, string token, string keyAuthorization, CancellationToken cancellationToken)
    {
        if (type == AcmeChallenge.TlsAlpn01)
        {
            tls.Remove(host);
        }
        else
        {
            http.Remove(host, token);
        }
        return Task.CompletedTask;
    }
}
