using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Slipway.Edge.Upstream;

/// <summary>The edge's lean path to an app instance: a request without a body, over a pooled HTTP/1.1 connection
/// of our own, with no HttpRequestMessage, no header collections and no second HTTP stack in between.
///
///   Kestrel's parsed request ──► one head written into a pooled buffer ──► one send on a keep-alive connection
///   client ◄── Kestrel response (status, headers) ◄── strict head parse ◄── receive into the connection's buffer
///          ◄── body slices written from that same buffer (Content-Length, chunked decoded in place, or to close)
///
/// Everything else (request bodies, upgrades, external origins, HTTPS) takes the general forwarder. Failures come
/// back as <see cref="ForwarderError"/> values with the same meaning as there; a keep-alive connection the app
/// closed while it sat idle is retried once on a new connection, as SocketsHttpHandler does.</summary>
internal sealed class Http1Forwarder : IDisposable
{
    private static readonly string[] KnownNames =
    [
        "Content-Type", "Content-Length", "Date", "Cache-Control", "ETag", "Last-Modified", "Vary", "Set-Cookie",
        "Location", "Server", "Content-Encoding", "Accept-Ranges", "Expires", "X-Powered-By", "Access-Control-Allow-Origin",
        "Content-Security-Policy", "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
    ];

    private readonly ConcurrentDictionary<Uri, UpstreamPool> _pools = new();
    private readonly Timer _sweeper;

    public Http1Forwarder()
    {
        _sweeper = new Timer(static state => ((Http1Forwarder)state!).Sweep(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>True when this request can take the lean path: to an instance (plain HTTP to an IP literal), with no
    /// body and no upgrade, and a target of visible ASCII (what Kestrel accepts; a rewrite could build another).</summary>
    public static bool CanForward(HttpContext context, ForwardTarget target, bool upgrade) =>
        !upgrade && target.Host is null && target.BaseUri.Scheme == Uri.UriSchemeHttp &&
        target.BaseUri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 &&
        target.PathAndQuery.Length > 0 && target.PathAndQuery[0] == '/' &&
        target.PathAndQuery.AsSpan().IndexOfAnyExceptInRange('!', '~') < 0 &&
        !HttpForwarder.HasBody(context.Request);

    public async ValueTask<ForwarderError> ForwardAsync(HttpContext context, ForwardTarget target, Manifests.EdgeLimitsSpec limits, bool trusted)
    {
        var aborted = context.RequestAborted;
        var pool = _pools.GetOrAdd(target.BaseUri, static uri =>
            new UpstreamPool(new IPEndPoint(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port)));
        var head = WriteHead(context, target, trusted);
        var idempotent = IsIdempotent(context.Request.Method);
        UpstreamConnection? connection = null;
        try
        {
            using (var timeout = RequestTimeout.Start(limits.ResponseTimeout, aborted))
            {
                for (var attempt = 0; ; attempt++)
                {
                    // The retry (attempt 1) always opens a new connection: the app may have closed every pooled one.
#pragma warning disable CA2000 // the connection goes back to the pool or is disposed in the finally below
                    connection = attempt == 0 ? pool.TakeIdle() : null;
#pragma warning restore CA2000
                    if (connection is null)
                    {
                        try
                        {
                            connection = await pool.ConnectAsync(limits.ConnectTimeout, aborted);
                        }
                        catch (Exception) when (aborted.IsCancellationRequested)
                        {
                            return ForwarderError.ClientDisconnected;
                        }
                        catch (Exception e) when (e is TimeoutException or SocketException)
                        {
                            // On the retry the request was already sent once: not "nothing sent", which the caller
                            // would resend to another instance whatever its method.
                            return attempt > 0 ? ForwarderError.RequestFailed
                                : e is TimeoutException ? ForwarderError.ConnectTimedOut : ForwarderError.ConnectFailed;
                        }
                    }
                    HeadResult result;
                    try
                    {
                        result = await SendAndReadHeadAsync(connection, head.Written, timeout.Token);
                    }
                    catch (Exception) when (aborted.IsCancellationRequested)
                    {
                        return ForwarderError.ClientDisconnected;
                    }
                    catch (Exception) when (timeout.TimedOut)
                    {
                        return ForwarderError.ResponseTimedOut;
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
                    {
                        result = connection.ReceivedAny ? HeadResult.Failed : HeadResult.Closed;
                    }
                    if (result == HeadResult.Closed && connection.Served > 0 && attempt == 0 && idempotent)
                    {
                        // A keep-alive connection the app closed (its keep-alive timeout is shorter than ours) before a
                        // byte of an answer: try once on a new connection. RFC 9110 §9.2.2: only a request that may be
                        // repeated, as the app may have seen it; a POST goes only on a connection found open (TakeIdle).
                        connection.Dispose();
                        connection = null;
                        continue;
                    }
                    if (result != HeadResult.Ok)
                    {
                        return result == HeadResult.Invalid ? ForwarderError.ResponseInvalid : ForwarderError.RequestFailed;
                    }
                    break;
                }
            }
            head.Dispose();

            BodyFraming framing;
            var requestId = context.Response.Headers["X-Request-Id"];
            try
            {
                framing = CopyHead(connection, context);
            }
            catch (InvalidOperationException)
            {
                // Kestrel refused a field the parser let through (a value it cannot write): a malformed answer, 502.
                context.Response.Headers.Clear();
                context.Response.Headers["X-Request-Id"] = requestId;
                return ForwarderError.ResponseInvalid;
            }
            var reusable = await CopyBodyAsync(connection, framing, context, limits.ResponseTimeout, aborted);
            if (reusable)
            {
                pool.Return(connection);
                connection = null;
            }
            if (framing == BodyFraming.ContentLength)
            {
                // After the return: a client that sends its next request as soon as this answer ends finds the
                // connection idle in the pool rather than opening a second one.
                await FlushAsync(context.Response.BodyWriter, aborted);
            }
            return ForwarderError.None;
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            return ForwarderError.ClientDisconnected;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // InvalidOperationException: Kestrel refused a write the app's answer asked for; its head is gone already.
            context.Abort();
            return ForwarderError.ResponseFailed;
        }
        finally
        {
            head.Dispose();
            connection?.Dispose();
        }
    }

    private enum HeadResult { Ok, Closed, Failed, Invalid }

    /// <summary>Sends the request head and reads the response head into the connection's buffer (interim 1xx
    /// answers are read past). Closed: the app closed without answering a byte.</summary>
    private static async ValueTask<HeadResult> SendAndReadHeadAsync(UpstreamConnection connection, ReadOnlyMemory<byte> head, CancellationToken token)
    {
        while (head.Length > 0)
        {
            var sent = await connection.Socket.SendAsync(head, SocketFlags.None, token);
            head = head[sent..];
        }
        var received = false;
        var searched = 0;
        while (true)
        {
            var unread = connection.Unread;
            var end = ResponseHead.FindEnd(unread[searched..]);
            if (end >= 0)
            {
                end += searched;
                if (!connection.Head.TryParse(unread[..end]))
                {
                    return HeadResult.Invalid;
                }
                if (connection.Head.Status is >= 100 and < 200)
                {
                    if (connection.Head.Status == 101)
                    {
                        return HeadResult.Invalid; // an upgrade nobody asked for
                    }
                    connection.Start += end; // 100 Continue, 102, 103 Early Hints: not forwarded
                    searched = 0;
                    continue;
                }
                return HeadResult.Ok;
            }
            searched = Math.Max(0, unread.Length - 3);
            if (connection.Buffered >= UpstreamConnection.MaxHeadSize)
            {
                return HeadResult.Invalid;
            }
            if (connection.End == connection.Buffer.Length && connection.Start > 0)
            {
                connection.Compact();
            }
            var read = await connection.ReceiveAsync(token);
            if (read == 0)
            {
                return received ? HeadResult.Failed : HeadResult.Closed;
            }
            received = true;
        }
    }

    /// <summary>Status and headers to Kestrel's response, minus hop-by-hop fields; the head is consumed.</summary>
    private static BodyFraming CopyHead(UpstreamConnection connection, HttpContext context)
    {
        var parsed = connection.Head;
        var bytes = connection.Unread;
        var response = context.Response;
        response.StatusCode = parsed.Status;
        var headers = response.Headers;
        var listed = parsed.ConnectionListsFields ? ListedNames(parsed, bytes) : null;
        var fields = parsed.Fields;
        for (var i = 0; i < fields.Count; i++)
        {
            var field = fields[i];
            var nameBytes = bytes.Slice(field.NameStart, field.NameLength);
            if (IsHopByHop(nameBytes) || Ascii.EqualsIgnoreCase(nameBytes, "Content-Length"u8))
            {
                continue; // Content-Length is set once below, from the parsed (and checked) value
            }
            var name = Name(nameBytes);
            if (listed?.Contains(name) == true)
            {
                continue;
            }
            var value = Encoding.Latin1.GetString(bytes.Slice(field.ValueStart, field.ValueLength));
            if (headers.ContainsKey(name) && SeenBefore(fields, i, bytes))
            {
                headers.Append(name, value);
            }
            else
            {
                headers[name] = value; // the app's value replaces one the edge set before forwarding
            }
        }
        // 204 and 205 have no body and no length (Kestrel refuses one); a 304 or a HEAD answer keeps its announced length.
        if (parsed.ContentLength >= 0 && parsed.Status is not (StatusCodes.Status204NoContent or StatusCodes.Status205ResetContent))
        {
            response.ContentLength = parsed.ContentLength;
        }
        connection.Start += parsed.Length;
        return parsed.Framing(HttpMethods.IsHead(context.Request.Method));
    }

    /// <summary>Copies the body; true when the connection may carry another request (its framing was complete
    /// and the app neither asked to close nor sent more than it framed).</summary>
    private static async ValueTask<bool> CopyBodyAsync(UpstreamConnection connection, BodyFraming framing, HttpContext context,
        TimeSpan idle, CancellationToken aborted)
    {
        var close = connection.Head.Close;
        if (framing == BodyFraming.None)
        {
            return !close && connection.Buffered == 0;
        }
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var writer = context.Response.BodyWriter;
        var remaining = framing == BodyFraming.ContentLength ? connection.Head.ContentLength : long.MaxValue;
        var chunks = default(ChunkedDecoder);
        while (true)
        {
            switch (framing)
            {
                case BodyFraming.ContentLength or BodyFraming.UntilClose:
                    var take = (int)Math.Min(remaining, connection.Buffered);
                    if (take > 0)
                    {
                        writer.Write(connection.Unread[..take]);
                        connection.Start += take;
                        remaining -= take;
                    }
                    if (remaining == 0)
                    {
                        // The last slice is flushed by the caller, once the connection is back in the pool.
                        return !close && connection.Buffered == 0;
                    }
                    break;
                case BodyFraming.Chunked:
                    while (connection.Buffered > 0 && !chunks.IsDone)
                    {
                        var step = chunks.Next(connection.Unread, out var consumed, out var start, out var length);
                        if (step == ChunkStep.Data)
                        {
                            writer.Write(connection.Unread.Slice(start, length));
                        }
                        connection.Start += consumed;
                        if (step == ChunkStep.Invalid)
                        {
                            throw new IOException("the app's chunked body is malformed");
                        }
                    }
                    if (chunks.IsDone)
                    {
                        return !close && connection.Buffered == 0;
                    }
                    break;
            }
            // More to read: what was written so far goes to the client first (an event stream must not wait).
            await FlushAsync(writer, aborted);
            connection.Reset();
            int read;
            using (var timeout = RequestTimeout.Start(idle, aborted))
            {
                try
                {
                    read = await connection.ReceiveAsync(timeout.Token);
                }
                catch (OperationCanceledException) when (timeout.TimedOut)
                {
                    throw new IOException($"the app sent nothing for {Durations.Format(idle)} in the middle of its response");
                }
            }
            if (read == 0)
            {
                if (framing == BodyFraming.UntilClose)
                {
                    return false;
                }
                throw new IOException("the app closed the connection before the end of its body");
            }
        }
    }

    /// <summary>Sends what was written to the client. A body framed by Content-Length ends with this too: Kestrel's end
    /// of a response flushes only what went through its own writes, and a slice written into its pipe (GetSpan/Advance)
    /// after the head went out is not counted there, so without it the last slice of a body that took more than one
    /// read would wait in the edge until the next response on the connection, or its keep-alive timeout, pushed it out
    /// (a body the edge sends chunked needs none: Kestrel writes its last chunk with the terminator).</summary>
    private static async ValueTask FlushAsync(System.IO.Pipelines.PipeWriter writer, CancellationToken aborted)
    {
        var flushed = await writer.FlushAsync(aborted);
        if (flushed.IsCanceled || flushed.IsCompleted)
        {
            throw new OperationCanceledException("the client went away", aborted);
        }
    }

    private static RequestHeadWriter WriteHead(HttpContext context, ForwardTarget target, bool trusted)
    {
        var incoming = context.Request;
        var head = new RequestHeadWriter();
        head.RequestLine(incoming.Method, target.PathAndQuery);
        head.Add("Host", incoming.Host.Value ?? "");
        var connectionListed = ForwardingHeaders.ConnectionTokens(incoming.Headers.Connection);
        foreach (var (name, values) in incoming.Headers)
        {
            if (!ForwardingHeaders.IsDropped(name, trusted, connectionListed))
            {
                head.Add(name, values);
            }
        }
        ForwardingHeaders.AddOwn(ref head, context, trusted);
        head.End();
        return head;
    }

    /// <summary>RFC 9110 §9.2.2: methods a client may repeat automatically.</summary>
    private static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsPut(method) ||
        HttpMethods.IsDelete(method) || HttpMethods.IsTrace(method);

    /// <summary>Response fields never forwarded (ForwardingHeaders.IsDroppedFromResponse, without a string).</summary>
    private static bool IsHopByHop(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 => Ascii.EqualsIgnoreCase(name, "TE"u8),
        7 => Ascii.EqualsIgnoreCase(name, "Trailer"u8) || Ascii.EqualsIgnoreCase(name, "Upgrade"u8) || Ascii.EqualsIgnoreCase(name, "Alt-Svc"u8),
        10 => Ascii.EqualsIgnoreCase(name, "Connection"u8) || Ascii.EqualsIgnoreCase(name, "Keep-Alive"u8),
        16 => Ascii.EqualsIgnoreCase(name, "Proxy-Connection"u8),
        17 => Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8),
        18 => Ascii.EqualsIgnoreCase(name, "Proxy-Authenticate"u8),
        19 => Ascii.EqualsIgnoreCase(name, "Proxy-Authorization"u8),
        14 => Ascii.EqualsIgnoreCase(name, "HTTP2-Settings"u8),
        _ => false,
    };

    /// <summary>A shared string for a common header name (no allocation per response), else a new one.</summary>
    private static string Name(ReadOnlySpan<byte> name)
    {
        foreach (var known in KnownNames)
        {
            if (known.Length == name.Length && Ascii.EqualsIgnoreCase(name, known))
            {
                return known;
            }
        }
        return Encoding.ASCII.GetString(name);
    }

    private static bool SeenBefore(IReadOnlyList<HeaderField> fields, int index, ReadOnlySpan<byte> bytes)
    {
        var name = bytes.Slice(fields[index].NameStart, fields[index].NameLength);
        for (var j = 0; j < index; j++)
        {
            if (Ascii.EqualsIgnoreCase(bytes.Slice(fields[j].NameStart, fields[j].NameLength), name))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The field names a response's Connection header lists (RFC 9110 §7.6.1): hop-by-hop too.</summary>
    private static HashSet<string> ListedNames(ResponseHead parsed, ReadOnlySpan<byte> bytes)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var field in parsed.Fields)
        {
            if (Ascii.EqualsIgnoreCase(bytes.Slice(field.NameStart, field.NameLength), "Connection"u8))
            {
                foreach (var token in Encoding.Latin1.GetString(bytes.Slice(field.ValueStart, field.ValueLength))
                             .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    names.Add(token);
                }
            }
        }
        return names;
    }

    private void Sweep()
    {
        var stale = Environment.TickCount64 - (long)TimeSpan.FromMinutes(1).TotalMilliseconds;
        foreach (var (uri, pool) in _pools)
        {
            pool.Sweep();
            if (pool.LastUsed < stale && pool.IdleCount == 0 && _pools.TryRemove(new KeyValuePair<Uri, UpstreamPool>(uri, pool)))
            {
                pool.Close(); // a request that took it just before keeps working; its connection is not kept
            }
        }
    }

    public void Dispose()
    {
        _sweeper.Dispose();
        foreach (var pool in _pools.Values)
        {
            pool.Close();
        }
    }
}
