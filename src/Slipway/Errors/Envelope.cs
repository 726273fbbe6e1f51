using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Errors;

/// <summary>One item of an envelope: its type ("event", "transaction", "session", "client_report", "attachment"…) and
/// its payload's bytes.</summary>
internal sealed record EnvelopeItem(string Type, ReadOnlyMemory<byte> Payload);

/// <summary>Sentry's envelope (https://develop.sentry.dev/sdk/data-model/envelopes/): a JSON header line, then items,
/// each a JSON header line and a payload, either <c>length</c> bytes or, without a length, up to the next newline.
///
///   {"event_id":"9ec79c33…","dsn":"https://KEY@host/42","sent_at":"…"}\n
///   {"type":"event","length":41}\n
///   {"message":"hello","level":"error"}\n
///   {"type":"session"}\n
///   {"started":"…"}\n
/// </summary>
internal sealed record Envelope(JsonObject Header, IReadOnlyList<EnvelopeItem> Items)
{
    /// <summary>Parses a whole envelope, or throws <see cref="ErrorIngestException"/> (400) saying where it is malformed.</summary>
    public static Envelope Parse(ReadOnlyMemory<byte> body)
    {
        var rest = body;
        var header = HeaderLine(ref rest, "the envelope header") ?? throw Malformed("the envelope is empty");
        var items = new List<EnvelopeItem>();
        while (SkipBlankLines(ref rest))
        {
            var itemHeader = HeaderLine(ref rest, $"item {items.Count + 1}'s header")!;
            var type = itemHeader["type"] is JsonValue t && t.TryGetValue(out string? name) && name.Length > 0
                ? name
                : throw Malformed($"item {items.Count + 1}'s header has no \"type\"");
            ReadOnlyMemory<byte> payload;
            if (itemHeader["length"] is JsonValue l && l.TryGetValue(out long length))
            {
                if (length < 0 || length > rest.Length)
                {
                    throw Malformed($"item {items.Count + 1} ({type}) says it is {length} bytes long; {rest.Length} are left");
                }
                payload = rest[..(int)length];
                rest = rest[(int)length..];
                if (rest.Length > 0 && rest.Span[0] == (byte)'\n')
                {
                    rest = rest[1..];
                }
            }
            else
            {
                var end = rest.Span.IndexOf((byte)'\n');
                payload = end < 0 ? rest : rest[..end];
                rest = end < 0 ? ReadOnlyMemory<byte>.Empty : rest[(end + 1)..];
            }
            items.Add(new EnvelopeItem(type, payload));
        }
        return new Envelope(header, items);
    }

    /// <summary>The DSN the envelope's header names (a browser SDK's tunnel sends it there), or null.</summary>
    public string? Dsn => Header["dsn"] is JsonValue v && v.TryGetValue(out string? dsn) ? dsn : null;

    private static bool SkipBlankLines(ref ReadOnlyMemory<byte> rest)
    {
        while (rest.Length > 0 && (rest.Span[0] == (byte)'\n' || rest.Span[0] == (byte)'\r'))
        {
            rest = rest[1..];
        }
        return rest.Length > 0;
    }

    private static JsonObject? HeaderLine(ref ReadOnlyMemory<byte> rest, string what)
    {
        if (rest.Length == 0)
        {
            return null;
        }
        var end = rest.Span.IndexOf((byte)'\n');
        var line = end < 0 ? rest : rest[..end];
        rest = end < 0 ? ReadOnlyMemory<byte>.Empty : rest[(end + 1)..];
        try
        {
            return JsonNode.Parse(line.Span) as JsonObject ?? throw Malformed($"{what} is not a JSON object");
        }
        catch (JsonException e)
        {
            throw Malformed($"{what} is not JSON ({e.Message.Split('.')[0]}): {Preview(line.Span)}");
        }
    }

    private static string Preview(ReadOnlySpan<byte> line) =>
        Encoding.UTF8.GetString(line[..Math.Min(line.Length, 60)]).ReplaceLineEndings(" ") + (line.Length > 60 ? "…" : "");

    private static ErrorIngestException Malformed(string why) => new(400, $"Malformed envelope: {why}.");
}
