using System.Net;

namespace Slipway.Domains.Acme;

/// <summary>The CA refused a request or could not be reached. The message names the cause and the fix
/// (<see cref="AcmeErrorMessages"/>); <see cref="Problem"/> is the CA's RFC 7807 document when it sent one, and
/// <see cref="RetryAfter"/> how long it asked to wait (rate limits, a CA that is down). Never carries key material.</summary>
internal sealed class AcmeException(string message, AcmeProblem? problem, HttpStatusCode? status = null, TimeSpan? retryAfter = null, Exception? inner = null)
    : Exception(message, inner)
{
    public AcmeProblem? Problem { get; } = problem;

    /// <summary>The problem type, urn:ietf:params:acme:error:*, when the CA gave one.</summary>
    public string? Type => Problem?.Type;

    public string? Detail => Problem?.Detail;

    public IReadOnlyList<AcmeProblem> Subproblems => Problem?.Subproblems ?? [];

    /// <summary>The HTTP status of the CA's answer; null when there was no answer (unreachable) or the failure was found
    /// in an object (an invalid authorization or order).</summary>
    public HttpStatusCode? Status { get; } = status;

    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>Whether the problem, or one of its subproblems, is of this ACME type ("dns", "rateLimited"...).</summary>
    public bool Is(string shortType) =>
        Problem is { } p && (p.ShortType == shortType || p.Subproblems.Any(s => s.ShortType == shortType));
}
