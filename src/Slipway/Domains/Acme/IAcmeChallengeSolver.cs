namespace Slipway.Domains.Acme;

/// <summary>What answers the CA's challenges: the edge serves an http-01 key authorization under
/// /.well-known/acme-challenge/ or a tls-alpn-01 certificate (<see cref="AcmeChallengeAnswers"/>) for the host.</summary>
internal interface IAcmeChallengeSolver
{
    /// <summary>The challenge types this solver can answer: "http-01", "tls-alpn-01".</summary>
    IReadOnlySet<string> Supports { get; }

    /// <summary>Starts answering the challenge; it must be answerable when this returns.</summary>
    Task PresentAsync(string host, string type, string token, string keyAuthorization, CancellationToken cancellationToken);

    /// <summary>Stops answering it. Called after every <see cref="PresentAsync"/>, whatever the outcome.</summary>
    Task CleanupAsync(string host, string type, string token, string keyAuthorization, CancellationToken cancellationToken);
}
