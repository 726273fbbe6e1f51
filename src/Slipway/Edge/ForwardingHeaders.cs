using Microsoft.AspNetCore.Http;

namespace Slipway.Edge;

/// <summary>Where a forwarder writes request header fields (an HttpRequestMessage, or a raw HTTP/1.1 head).</summary>
internal interface IHeaderSink
{
    void Add(string name, string value);
}

/// <summary>The request headers an app receives through the edge, the same on every forwarding path: the client's
/// own minus hop-by-hop ones (and any named in Connection), and the edge's view of the client (X-Forwarded-*,
/// Forwarded, X-Real-IP) set from the connection, so a client cannot pose as someone else. Only a trusted proxy's
/// values are kept and appended to.</summary>
internal static class ForwardingHeaders
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
        "TE", "Trailer", "Transfer-Encoding", "Upgrade",
        // HTTP/2's upgrade settings belong to one connection (RFC 9113 §3.1, as YARP drops it).
        "HTTP2-Settings",
    };

    private static readonly IReadOnlySet<string> NoTokens = new HashSet<string>();

    public static bool IsHopByHop(string name) => HopByHop.Contains(name);

    /// <summary>A response field the app may not pass to clients: its own hop-by-hop fields, and Alt-Svc (RFC 7838),
    /// which would advertise the app's own endpoints (HTTP/3 on its port) instead of the edge's (YARP drops it too).</summary>
    public static bool IsDroppedFromResponse(string name) =>
        HopByHop.Contains(name) || name.Equals("Alt-Svc", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for a client header the app must not receive as the client sent it.</summary>
    public static bool IsDropped(string name, bool trusted, IReadOnlySet<string> connectionListed) =>
        HopByHop.Contains(name) || connectionListed.Contains(name) || name.StartsWith(':') ||
        name.Equals("Host", StringComparison.OrdinalIgnoreCase) ||
        (!trusted && name.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase)) ||
        name.Equals("X-Forwarded-For", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("Forwarded", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("X-Real-IP", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("X-Request-Id", StringComparison.OrdinalIgnoreCase);

    /// <summary>Adds the edge's own fields: X-Forwarded-For/-Proto/-Host, Forwarded (RFC 7239), X-Real-IP and the
    /// request's X-Request-Id (the one the client gets back and the access log records).</summary>
    public static void AddOwn<TSink>(ref TSink sink, HttpContext context, bool trusted) where TSink : struct, IHeaderSink
    {
        var incoming = context.Request;
        var peer = TrustedProxies.Format(context.Connection.RemoteIpAddress);
        var forwardedFor = incoming.Headers["X-Forwarded-For"].ToString();
        sink.Add("X-Forwarded-For", trusted && forwardedFor.Length > 0 ? $"{forwardedFor}, {peer}" : peer);
        if (!trusted || !incoming.Headers.ContainsKey("X-Forwarded-Proto"))
        {
            sink.Add("X-Forwarded-Proto", incoming.Scheme);
        }
        if (!trusted || !incoming.Headers.ContainsKey("X-Forwarded-Host"))
        {
            sink.Add("X-Forwarded-Host", incoming.Host.Value ?? "");
        }
        var forwarded = incoming.Headers["Forwarded"].ToString();
        var element = $"for={ForwardedNode(context.Connection.RemoteIpAddress)};host={ForwardedValue(incoming.Host.Value ?? "")};proto={incoming.Scheme}";
        sink.Add("Forwarded", trusted && forwarded.Length > 0 ? $"{forwarded}, {element}" : element);
        var realIp = incoming.Headers["X-Real-IP"].ToString();
        sink.Add("X-Real-IP", trusted && realIp.Length > 0 ? realIp : peer);
        sink.Add("X-Request-Id", context.Response.Headers["X-Request-Id"].ToString());
    }

    /// <summary>Header names listed in Connection (RFC 9110 7.6.1), which are hop-by-hop too. Empty (and no
    /// allocation) for the usual "keep-alive", "close" or nothing.</summary>
    public static IReadOnlySet<string> ConnectionTokens(IEnumerable<string?> values)
    {
        HashSet<string>? set = null;
        foreach (var value in values)
        {
            if (string.IsNullOrEmpty(value) || value.Equals("keep-alive", StringComparison.OrdinalIgnoreCase) ||
                value.Equals("close", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            foreach (var token in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                (set ??= new HashSet<string>(StringComparer.OrdinalIgnoreCase)).Add(token);
            }
        }
        return set ?? NoTokens;
    }

    /// <summary>A Forwarded node (RFC 7239 §6): an IPv4 address as is, an IPv6 one bracketed and quoted.</summary>
    private static string ForwardedNode(System.Net.IPAddress? address) => address switch
    {
        null => "unknown",
        { IsIPv4MappedToIPv6: true } => address.MapToIPv4().ToString(),
        { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } => $"\"[{address}]\"",
        _ => address.ToString(),
    };

    /// <summary>A Forwarded value: a token as is, anything else (a host with a port) as a quoted string.</summary>
    private static string ForwardedValue(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '!' or '$' or '&' or '\'' or '*' or '+' or '^' or '`' or '|')
            ? value
            : "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
