namespace Slipway.Monitoring;

/// <summary>How one attempt to deliver a batch went: expected failures of the outside world are values, not
/// exceptions. <see cref="Error"/> never holds a secret of the drain.</summary>
/// <param name="RetryAfter">What the receiver asked for (Retry-After), if anything.</param>
internal readonly record struct DrainAttempt(DrainOutcome Outcome, string? Error = null, TimeSpan? RetryAfter = null)
{
    public static readonly DrainAttempt Delivered = new(DrainOutcome.Delivered);
}

internal enum DrainOutcome
{
    Delivered,

    /// <summary>Network error, timeout, 408, 429 or 5xx: the receiver may take it in a moment; retried with backoff.</summary>
    Unavailable,

    /// <summary>Any other answer (401, 403, 404, a redirect, a TLS certificate not trusted): a configuration problem.
    /// Retried slowly all the same, so a fix on the receiver's side resumes delivery without touching the drain.</summary>
    Refused,
}
