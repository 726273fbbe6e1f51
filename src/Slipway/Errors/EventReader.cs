using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Errors;

/// <summary>Reads an SDK's event JSON (https://develop.sentry.dev/sdk/data-model/event-payloads/) into an
/// <see cref="ErrorEvent"/>, accepting the shapes SDKs send: a message as a string or a logentry, exceptions as
/// <c>{"values": [...]}</c> or a bare list, tags as an object or pairs, a timestamp as seconds or RFC 3339.</summary>
internal static class EventReader
{
    /// <summary>The event's JSON object, or a 400.</summary>
    public static JsonObject Parse(ReadOnlyMemory<byte> payload)
    {
        try
        {
            return JsonNode.Parse(payload.Span) as JsonObject ?? throw new ErrorIngestException(400, "The event is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ErrorIngestException(400, $"The event is not JSON: {e.Message.Split('.')[0]}.");
        }
    }

    /// <summary>Reads an event whose body was scrubbed already; <paramref name="userKey"/> was taken before (scrubbing
    /// removes the e-mail and IP address it may come from).</summary>
    public static ErrorEvent Read(JsonObject body, DateTimeOffset received, string? userKey) => Read(body, received) with { UserKey = userKey };

    public static ErrorEvent Read(JsonObject body, DateTimeOffset received)
    {
        var eventId = Text(body["event_id"])?.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant() is { Length: 32 } id && id.All(char.IsAsciiHexDigit)
            ? id
            : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        body["event_id"] = eventId;
        var exceptions = Values(body["exception"]).Select(ReadException).Where(e => e is not null).Select(e => e!).ToList();
        var message = Text(body["message"]) ?? Text(body["message"]?["formatted"]) ?? Text(body["message"]?["message"])
            ?? Text(body["logentry"]?["formatted"]) ?? Text(body["logentry"]?["message"]);
        var fingerprint = body["fingerprint"] is JsonArray f ? f.Select(Text).Where(s => s is not null).Select(s => s!).ToList() : null;
        return new ErrorEvent(
            eventId,
            Timestamp(body["timestamp"]) is { } at && at > received.AddDays(-30) && at < received.AddMinutes(5) ? at : received,
            Text(body["level"])?.ToLowerInvariant() is { } level && Levels.Contains(level) ? level : "error",
            Text(body["platform"]),
            Limit(Text(body["release"]), 200),
            Limit(Text(body["environment"]), 64),
            message,
            exceptions,
            fingerprint is { Count: > 0 } ? fingerprint : null,
            UserKey(body["user"]),
            Limit(Text(body["transaction"]), 200),
            body);
    }

    private static readonly HashSet<string> Levels = new(StringComparer.Ordinal) { "fatal", "error", "warning", "info", "debug" };

    private static ExceptionInfo? ReadException(JsonNode? node)
    {
        if (node is not JsonObject e)
        {
            return null;
        }
        var type = Text(e["type"]) ?? Text(e["module"]) ?? "Error";
        var frames = (e["stacktrace"]?["frames"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(f => new StackFrame(Text(f["filename"]), Text(f["abs_path"]), Text(f["function"]), Text(f["module"]), Int(f["lineno"]), Int(f["colno"]),
                f["in_app"] is JsonValue inApp && inApp.TryGetValue(out bool b) ? b : null) { ContextLine = Limit(Text(f["context_line"]), 300) })
            .ToList();
        var handled = e["mechanism"]?["handled"] is JsonValue h && h.TryGetValue(out bool handledValue) ? handledValue : (bool?)null;
        return new ExceptionInfo(Limit(type, 200)!, Limit(Text(e["value"]), 2000), Text(e["module"]), frames, handled);
    }

    /// <summary>Who was affected, as a hash (so counting users keeps no e-mail or address): the user's id, else
    /// e-mail, else username, else IP address.</summary>
    public static string? UserKeyOf(JsonObject body) => UserKey(body["user"]);

    private static string? UserKey(JsonNode? user)
    {
        var key = Text(user?["id"]) is { } id ? "id:" + id
            : Text(user?["email"]) is { } email ? "email:" + email.ToLowerInvariant()
            : Text(user?["username"]) is { } name ? "name:" + name
            : Text(user?["ip_address"]) is { } ip && ip != "{{auto}}" ? "ip:" + ip
            : null;
        return key is null ? null : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32];
    }

    /// <summary>The items of a Sentry "values" interface: <c>{"values": [...]}</c> or the list itself.</summary>
    internal static IEnumerable<JsonNode?> Values(JsonNode? node) => node switch
    {
        JsonObject o when o["values"] is JsonArray values => values,
        JsonArray list => list,
        JsonObject single when single["type"] is not null => [single],
        _ => [],
    };

    private static DateTimeOffset? Timestamp(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }
        if (value.TryGetValue(out double seconds))
        {
            return DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
        }
        return value.TryGetValue(out string? text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? at : null;
    }

    internal static string? Text(JsonNode? node) => node is JsonValue v
        ? v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>() is { Length: > 0 } s ? s : null,
            JsonValueKind.Number => v.ToJsonString(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        }
        : null;

    private static int? Int(JsonNode? node) => node is JsonValue v && v.TryGetValue(out double d) && d is >= 0 and <= int.MaxValue ? (int)d : null;

    private static string? Limit(string? text, int max) => text is null || text.Length <= max ? text : text[..(max - 1)] + "…";
}
