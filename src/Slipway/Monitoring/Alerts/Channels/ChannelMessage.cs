using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>What one delivery sends: an alert notice, or the summary of notices the rate limit held back. Every target
/// formats it its own way from the same lines here, so a chat message and an e-mail say the same thing.</summary>
internal sealed record ChannelMessage(string Id, AlertNotice? Notice, SuppressedSummary? Summary, DateTimeOffset At)
{
    public static ChannelMessage Of(AlertNotice notice) => new(notice.Id, notice, null, notice.At);

    public static ChannelMessage Of(DeliveryRecord delivery) => delivery.IsSummary
        ? new(delivery.NoticeId, null, JsonSerializer.Deserialize<SuppressedSummary>(delivery.Notice, ChannelStore.Json), delivery.CreatedAt)
        : Of(JsonSerializer.Deserialize<AlertNotice>(delivery.Notice, ChannelStore.Json)!);

    /// <summary>"firing", "resolved", "test", or "suppressed" for a summary (the webhook's "kind").</summary>
    public string Kind => Notice is { } n ? JsonSpellings.Of(n.Kind) : "suppressed";

    /// <summary>"FIRING", "RESOLVED", "TEST", "SUPPRESSED".</summary>
    public string Tag => Kind.ToUpperInvariant();

    public string Title => Notice?.Title ?? $"{Summary!.Count} alert notice{(Summary.Count == 1 ? " was" : "s were")} suppressed by the rate limit";

    /// <summary>"[FIRING] shop: uptime check failing": an e-mail's subject, a chat message's first line.</summary>
    public string Headline => $"[{Tag}] {OneLine(Title)}";

    /// <summary>The details after the headline, one fact a line.</summary>
    public IReadOnlyList<string> Lines()
    {
        if (Notice is { } n)
        {
            var lines = new List<string>();
            if (n.Detail.Length > 0)
            {
                lines.Add(n.Detail);
            }
            lines.Add($"Severity: {JsonSpellings.Of(n.Severity)} · rule: {n.Rule} · {(n.App is null ? "the platform" : "app: " + n.App)}");
            lines.Add(n.Kind == NoticeKind.Resolved && n.ResolvedAt is { } resolved
                ? $"Started {Time(n.StartedAt)}, resolved {Time(resolved)} (after {Durations.Format(TimeSpan.FromSeconds(Math.Round((resolved - n.StartedAt).TotalSeconds)))})."
                : $"Since {Time(n.StartedAt)}.");
            if (n.Url is { Length: > 0 } url)
            {
                lines.Add(url);
            }
            return lines;
        }
        var s = Summary!;
        return
        [
            $"This channel sends at most {s.Limit} notices per {Durations.Format(s.Window)}; {s.Count} between {Time(s.From)} and {Time(s.To)} were not sent on their own:",
            .. s.Titles.Select(t => "  " + OneLine(t)),
            .. s.Count > s.Titles.Count ? [$"  and {s.Count - s.Titles.Count} more"] : Array.Empty<string>(),
            "'slipway alerts ls' shows what is firing now.",
        ];
    }

    /// <summary>The headline and the lines, as plain text.</summary>
    public string Text()
    {
        var text = new StringBuilder(Headline).Append('\n');
        foreach (var line in Lines())
        {
            text.Append(line).Append('\n');
        }
        return text.ToString();
    }

    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>Cuts <paramref name="text"/> to <paramref name="max"/> characters with "…", never inside a surrogate pair.</summary>
    public static string Cut(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }
        var end = max - 1;
        if (char.IsHighSurrogate(text[end - 1]))
        {
            end--;
        }
        return text[..end] + "…";
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
