namespace Slipway.Domains.Acme;

/// <summary>How patient the client is. Polling waits what the CA's Retry-After asks, but never more than
/// <see cref="MaxPollDelay"/> at a time nor longer than <see cref="PollTimeout"/> in all.</summary>
internal sealed record AcmeClientOptions
{
    /// <summary>The first wait between polls when the CA gives no Retry-After; doubles up to <see cref="MaxPollDelay"/>.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxPollDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an authorization or an order may stay pending or processing before the client gives up.</summary>
    public TimeSpan PollTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>The time limit of one HTTP request to the CA.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
