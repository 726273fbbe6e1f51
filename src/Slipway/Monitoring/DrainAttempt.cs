namespace Slipway.Monitoring;

/// <summary>How one attempt to deliver a batch went: expected failures of the outside world are values, not
/// exceptions. <see cref="Error"/> never holds a secret of the drain.</summary>
/// <param name="RetryAfter">What the receiver asked for (Retry-After), if anything.</param>
internal readonly record struct DrainAttempt(DrainOutcome Outcome, string? Error = null, TimeSpan? RetryAfter = null)
{
    public static readonly DrainAttempt Delivered = new(DrainOutcome.Delivered);

    /// <summary>What an HTTP receiver's answer means (drains and alert channels alike): 2xx delivered; 408, 429 and 5xx
    /// unavailable, with its Retry-After; anything else refused, with <paramref name="redirectHint"/> or
    /// <paramref name="refusedHint"/> said after it. <paramref name="scrub"/> takes the sender's secrets out.</summary>
    public static DrainAttempt Of(HttpResponseMessage response, DateTimeOffset now, Func<string, string> scrub, string redirectHint, string refusedHint)
    {
        var code = (int)response.StatusCode;
        if (code is >= 200 and < 300)
        {
            return Delivered;
        }
        var answered = scrub($"the receiver answered {code} {response.ReasonPhrase}".TrimEnd());
        TimeSpan? retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now,
            _ => null,
        };
        return code is 408 or 429 or >= 500
            ? new DrainAttempt(DrainOutcome.Unavailable, answered, retryAfter)
            : new DrainAttempt(DrainOutcome.Refused, answered + (code is >= 300 and < 400 ? redirectHint : refusedHint));
    }

    /// <summary>A request that got no answer: an untrusted certificate is refused (a configuration problem), any other
    /// network error unavailable.</summary>
    public static DrainAttempt Of(HttpRequestException e, Func<string, string> scrub)
    {
        var tls = e.HttpRequestError == HttpRequestError.SecureConnectionError;
        var why = tls && e.InnerException is { } inner ? "TLS: " + inner.Message : e.Message;
        return new DrainAttempt(tls ? DrainOutcome.Refused : DrainOutcome.Unavailable, scrub(why));
    }
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
