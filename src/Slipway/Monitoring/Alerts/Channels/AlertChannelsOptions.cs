namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>Host settings of the alert channels (mapped by Hosting; tests shorten the timings).</summary>
internal sealed class AlertChannelsOptions
{
    /// <summary>The platform's host name: e-mail goes from slipway@ it unless a channel says --from.</summary>
    public string PlatformHost { get; set; } = "slipway.localhost";

    /// <summary>The first retry's wait; it doubles per failed attempt (equal jitter, Retry-After honoured) up to
    /// <see cref="RetryCap"/>.</summary>
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryCap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Attempts per delivery before it is recorded as failed.</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>How long after it was queued a delivery is still retried (a delivery is always tried once, even when
    /// the platform was down longer).</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Notices a channel sends per <see cref="RateWindow"/>; more are suppressed and counted in one summary
    /// message once the window has room.</summary>
    public int RateLimit { get; set; } = 20;

    public TimeSpan RateWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>One HTTP request or SMTP conversation at most.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>`slipway alerts test`: one attempt, at most this long.</summary>
    public TimeSpan TestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long delivery rows are kept (`alerts history`).</summary>
    public TimeSpan KeepHistory { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How often the channels are read again (a sender per channel) and old history is pruned.</summary>
    public TimeSpan Tick { get; set; } = TimeSpan.FromMinutes(1);
}
