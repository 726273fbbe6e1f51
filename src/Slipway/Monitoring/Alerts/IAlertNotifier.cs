namespace Slipway.Monitoring.Alerts;

/// <summary>Hands a notice to the channels. <see cref="Notify"/> returns at once: each channel delivers on its own
/// loop, with retries and a rate limit, so a channel that is down never delays the engine or another channel.</summary>
internal interface IAlertNotifier
{
    /// <summary>Queues <paramref name="notice"/> for every channel it is for (persisted before this returns, so a
    /// platform restart resumes delivery).</summary>
    void Notify(AlertNotice notice);
}
