namespace Slipway.Errors;

/// <summary>An ingest request the platform refuses, with the status an SDK understands (400 malformed, 401 no or bad
/// DSN key, 404 no such project, 413 too large, 429 over the rate limit) and a message that says what to fix.</summary>
internal sealed class ErrorIngestException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    /// <summary>Seconds the SDK should wait (429).</summary>
    public int? RetryAfter { get; init; }
}
