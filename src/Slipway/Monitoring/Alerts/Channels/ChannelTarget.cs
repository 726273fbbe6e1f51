namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>Where a channel's messages go: <see cref="HttpChannelTarget"/> (webhook, Slack, Discord) or
/// <see cref="EmailChannelTarget"/>. A target makes one attempt and says how it went as a value (the drains'
/// <see cref="DrainAttempt"/>: delivered, unavailable for now, or refused); retries, order and the rate limit belong
/// to the channel's <see cref="ChannelSender"/>.</summary>
internal abstract class ChannelTarget(ChannelSecrets secrets) : IDisposable
{
    private readonly string[] _secrets = secrets.All().ToArray();

    /// <summary>One attempt, within <paramref name="timeout"/>. Throws only when <paramref name="cancellationToken"/>
    /// is cancelled; the error of a failed attempt never holds a secret of the channel.</summary>
    public abstract Task<DrainAttempt> SendAsync(ChannelMessage message, TimeSpan timeout, CancellationToken cancellationToken);

    public abstract void Dispose();

    public static ChannelTarget Open(ChannelRecord record, ChannelSecrets secrets, AlertChannelsOptions options, TimeProvider clock) =>
        record.ChannelKind == ChannelKind.Email
            ? new EmailChannelTarget(record, secrets, options.PlatformHost)
            : new HttpChannelTarget(record.ChannelKind, secrets, clock);

    /// <summary>An error text with every secret of the channel masked, whatever a library put in its message.</summary>
    protected string Scrub(string error)
    {
        foreach (var secret in _secrets)
        {
            error = error.Replace(secret, "***", StringComparison.Ordinal);
        }
        return error;
    }
}
