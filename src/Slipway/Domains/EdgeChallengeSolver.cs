using Slipway.Domains.Acme;
using Slipway.Edge;

namespace Slipway.Domains;

/// <summary>Answers the CA's challenges on this platform's own edge: http-01 under /.well-known/acme-challenge/ on
/// port 80 (<see cref="AcmeHttpChallenges"/>), before any rule of the app the name routes to.</summary>
internal sealed class EdgeChallengeSolver(AcmeHttpChallenges http) : IAcmeChallengeSolver
{
    private static readonly IReadOnlySet<string> Types = new HashSet<string>(StringComparer.Ordinal) { "http-01" };

    public IReadOnlySet<string> Supports => Types;

    public Task PresentAsync(string host, string type, string token, string keyAuthorization, CancellationToken cancellationToken)
    {
        http.Set(host, token, keyAuthorization);
        return Task.CompletedTask;
    }

    public Task CleanupAsync(string host, string type, string token, string keyAuthorization, CancellationToken cancellationToken)
    {
        http.Remove(host, token);
        return Task.CompletedTask;
    }
}
