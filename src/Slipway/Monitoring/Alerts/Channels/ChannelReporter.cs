using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Slipway.State;

namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>Tells people about a channel's own trouble: a warning in the platform log and an event (the platform's for
/// a channel going failing or up again; the notice's app's for a notice given up), so a broken channel is seen even
/// though it cannot say so itself.</summary>
internal sealed class ChannelReporter(Store store, ILogger logger)
{
    public void Failing(ChannelRecord channel, string error)
    {
        ChannelLog.Failing(logger, channel.Name, channel.Destination, error);
        Event(null, "alert-channel.failing", $"alert channel {channel.Name} ({channel.Destination}) is failing: {error}; its notices are retried");
    }

    public void Recovered(ChannelRecord channel)
    {
        ChannelLog.Recovered(logger, channel.Name, channel.Destination);
        Event(null, "alert-channel.recovered", $"alert channel {channel.Name} ({channel.Destination}) delivers again");
    }

    public void GaveUp(ChannelRecord channel, DeliveryRecord delivery, ChannelMessage? message, string error)
    {
        var title = message?.Title ?? delivery.NoticeId;
        ChannelLog.GaveUp(logger, delivery.NoticeId, title, channel.Name, channel.Destination, delivery.Attempts + 1, error);
        Event(message?.Notice?.App, "alert.delivery-failed",
            $"alert notice \"{title}\" was not delivered to channel {channel.Name} ({channel.Destination}): {error}. 'slipway alerts test {channel.Name}' tries the channel");
    }

    public void Broken(ChannelRecord channel, Exception exception) => ChannelLog.SenderBroken(logger, channel.Name, exception);

    private void Event(string? app, string kind, string message)
    {
        try
        {
            store.AddEvent(app, null, kind, message);
        }
        catch (SqliteException)
        {
            // The log line above says it; an event is not worth stopping a sender for.
        }
    }
}
