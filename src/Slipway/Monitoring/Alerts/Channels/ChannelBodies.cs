using System.Buffers;
using System.Text.Json;

namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>The request bodies of the HTTP channels, pure: the generic webhook's JSON (every field of the notice,
/// times as JsonSpellings writes them), Slack's {"text"} (Mattermost and Rocket.Chat take the same), Discord's
/// {"content", "embeds"} within Discord's limits.</summary>
internal static class ChannelBodies
{
    public const int DiscordContentMax = 2000;
    public const int DiscordTitleMax = 256;
    public const int DiscordDescriptionMax = 4096;

    // Slack accepts far more; a chat message longer than this is not read anyway.
    private const int SlackTextMax = 3000;

    public static byte[] For(ChannelKind kind, ChannelMessage message) => kind switch
    {
        ChannelKind.Webhook => Webhook(message),
        ChannelKind.Slack => Slack(message),
        ChannelKind.Discord => Discord(message),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not an HTTP channel"),
    };

    /// <summary>{"id","alertId","kind","rule","subject","app","severity","title","detail","startedAt","resolvedAt","at","url"};
    /// a summary has kind "suppressed", its count in "suppressed", and null where it has no value.</summary>
    public static byte[] Webhook(ChannelMessage message) => Write(w =>
    {
        var n = message.Notice;
        w.WriteString("id", message.Id);
        w.WriteString("alertId", n?.AlertId);
        w.WriteString("kind", message.Kind);
        w.WriteString("rule", n?.Rule);
        w.WriteString("subject", n?.Subject);
        w.WriteString("app", n?.App);
        w.WriteString("severity", n is null ? null : JsonSpellings.Of(n.Severity));
        w.WriteString("title", message.Title);
        w.WriteString("detail", n?.Detail ?? string.Join("\n", message.Lines()));
        w.WriteString("startedAt", UtcTime.Format(n?.StartedAt ?? message.Summary!.From));
        w.WriteString("resolvedAt", n?.ResolvedAt is { } resolved ? UtcTime.Format(resolved) : null);
        w.WriteString("at", UtcTime.Format(message.At));
        w.WriteString("url", n?.Url);
        if (message.Summary is { } summary)
        {
            w.WriteNumber("suppressed", summary.Count);
        }
    });

    /// <summary>{"text": "*[FIRING] title*\n..."} in Slack's mrkdwn, with &amp;, &lt; and &gt; escaped as Slack asks.</summary>
    public static byte[] Slack(ChannelMessage message) => Write(w =>
    {
        var text = $"*{SlackEscape(message.Headline)}*\n{string.Join("\n", message.Lines().Select(SlackEscape))}";
        w.WriteString("text", ChannelMessage.Cut(text, SlackTextMax));
    });

    /// <summary>{"content": headline, "embeds": [{title, description, color, timestamp, url}], "allowed_mentions": none}:
    /// an alert's text never pings @everyone.</summary>
    public static byte[] Discord(ChannelMessage message) => Write(w =>
    {
        w.WriteString("content", ChannelMessage.Cut(message.Headline, DiscordContentMax));
        w.WriteStartArray("embeds");
        w.WriteStartObject();
        w.WriteString("title", ChannelMessage.Cut(message.Title, DiscordTitleMax));
        w.WriteString("description", ChannelMessage.Cut(string.Join("\n", message.Lines()), DiscordDescriptionMax));
        w.WriteNumber("color", Color(message));
        w.WriteString("timestamp", UtcTime.Format(message.At));
        if (message.Notice?.Url is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http")
        {
            w.WriteString("url", uri.AbsoluteUri);
        }
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartObject("allowed_mentions");
        w.WriteStartArray("parse");
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static int Color(ChannelMessage message) => message.Notice switch
    {
        { Kind: NoticeKind.Firing, Severity: AlertSeverity.Critical } => 0xE01E5A,
        { Kind: NoticeKind.Firing } => 0xECB22E,
        { Kind: NoticeKind.Resolved } => 0x2EB67D,
        _ => 0x4A90D9,
    };

    private static string SlackEscape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
