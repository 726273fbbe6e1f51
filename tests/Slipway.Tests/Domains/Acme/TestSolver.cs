using System.Collections.Concurrent;
using Slipway.Domains.Acme;

namespace Slipway.Tests.Domains.Acme;

/// <summary>Answers challenges through the <see cref="ChallengeResponder"/>, the way the edge will. With
/// <see cref="ServeWrongAnswer"/> it serves a key authorization that is not the account's, as a stale server would.</summary>
internal sealed class TestSolver(ChallengeResponder responder, params string[] supports) : IAcmeChallengeSolver
{
    public IReadOnlySet<string> Supports { get; } = supports.ToHashSet();

    public bool ServeWrongAnswer { get; init; }

    public ConcurrentQueue<(string Host, string Type)> Presented { get; } = new();

    public ConcurrentQueue<(string Host, string Type)> CleanedUp { get; } = new();

    public Task PresentAsync(string host, string type, string token, string keyAuthorization, CancellationToken cancellationToken)
    {
        var answer = ServeWrongAnswer ? token + ".not-this-accounts-thumbprint" : keyAuthorization;
        switch (type)
        {
            case AcmeChallenge.Http01:
                responder.Http01[token] = answer;
                break;
            case AcmeChallenge.TlsAlpn01:
                responder.TlsAlpn01[host] = AcmeChallengeAnswers.TlsAlpn01Certificate(host, answer, DateTimeOffset.UtcNow);
                break;
            default:
                throw new InvalidOperationException($"asked to present {type}, which this solver does not support");
        }
        Presented.Enqueue((host, type));
        return Task.CompletedTask;
    }

    public Task CleanupAsync(string host, string type, string token, string keyAuthorization, CancellationToken cancellationToken)
    {
        responder.Http01.TryRemove(token, out _);
        if (responder.TlsAlpn01.TryRemove(host, out var certificate))
        {
            certificate.Dispose();
        }
        CleanedUp.Enqueue((host, type));
        return Task.CompletedTask;
    }
}
