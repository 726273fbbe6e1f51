using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Slipway.Edge;

internal enum ForwarderError
{
    None,
    /// <summary>No connection could be made: nothing was sent, so the request may go to another instance.</summary>
    ConnectFailed,
    /// <summary>Connecting took longer than the app's connect timeout; nothing was sent.</summary>
    ConnectTimedOut,
    /// <summary>Sent, but no response came (reset).</summary>
    RequestFailed,
    /// <summary>Sent, and no response started within the app's response timeout.</summary>
    ResponseTimedOut,
    /// <summary>The client's body was larger than the app's limit; nothing more is read.</summary>
    RequestBodyTooLarge,
    /// <summary>The client's body was malformed (bad chunked framing, shorter than its Content-Length): the client's
    /// fault, answered 400, never blamed on the app.</summary>
    RequestBodyInvalid,
    /// <summary>The client sent its body too slowly (below Kestrel's minimum data rate): answered 408.</summary>
    RequestBodyTimedOut,
    /// <summary>The app's response head broke HTTP's rules (a bare CR or LF, folded lines, conflicting lengths):
    /// refused, never forwarded (answered 502).</summary>
    ResponseInvalid,
    /// <summary>The response started and then broke; the client connection is aborted.</summary>
    ResponseFailed,
    ClientDisconnected,
}

/// <summary>Where one request goes: an instance, or an external origin a rewrite names.</summary>
internal readonly record struct ForwardTarget(Uri BaseUri, string PathAndQuery, string? Host = null);

/// <summary>Forwards one request to one upstream and streams the answer back.
///
///   client ──► method, target, headers (minus hop-by-hop, X-Forwarded-* set) ──► SendAsync (headers only,
///          │                                                                    within the response timeout)
///          ◄── status + headers (minus hop-by-hop) ◄── body streamed as it arrives (SSE, downloads: never buffered)
///          └── 101 Switching Protocols (WebSocket): both connections become one byte pipe, copied both ways
///
/// Expected network failures come back as <see cref="ForwarderError"/>, not exceptions: the caller decides
/// between retrying on another instance and answering 502 or 504.</summary>
internal sealed class HttpForwarder : IDisposable
{
    private static readonly HttpRequestOptionsKey<TimeSpan> ConnectTimeoutKey = new("slipway.connect-timeout");
    private readonly TrustedProxies _trusted;
    private readonly HttpMessageInvoker _client;
    private readonly Upstream.Http1Forwarder? _lean;

    /// <param name="lean">Requests without a body go to instances over <see cref="Upstream.Http1Forwarder"/>; off
    /// only to measure what it saves (bench/edge with SLIPWAY_EDGE_LEAN=0).</param>
    public HttpForwarder(TrustedProxies? trusted = null, bool lean = true)
    {
        _trusted = trusted ?? TrustedProxies.None;
        _lean = lean ? new Upstream.Http1Forwarder() : null;
#pragma warning disable CA2000 // the invoker owns the handler (disposeHandler: true) and is disposed with the forwarder
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            ConnectCallback = ConnectAsync,
            // Below Node's default 5 s keep-alive timeout, so we never reuse a connection the app is closing.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(4),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxResponseHeadersLength = 64,
            // Header bytes pass through as they came: a client's UTF-8 (what Kestrel decoded it as) goes out as UTF-8
            // instead of failing the request, and an app's bytes come back one char per byte (Latin-1), which the
            // edge's Kestrel writes back as the same bytes.
            RequestHeaderEncodingSelector = static (_, _) => System.Text.Encoding.UTF8,
            ResponseHeaderEncodingSelector = static (_, _) => System.Text.Encoding.Latin1,
        });
#pragma warning restore CA2000
    }

    public async ValueTask<ForwarderError> ForwardAsync(HttpContext context, ForwardTarget target, Manifests.EdgeLimitsSpec limits)
    {
        var aborted = context.RequestAborted;
        var upgrade = context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } feature ? feature : null;
        if (_lean is not null && Upstream.Http1Forwarder.CanForward(context, target, upgrade is not null))
        {
            return await _lean.ForwardAsync(context, target, limits, _trusted.IsTrusted(context.Connection.RemoteIpAddress));
        }
        using var request = CreateRequest(context, target, upgrade is not null);
        request.Options.Set(ConnectTimeoutKey, limits.ConnectTimeout);
        HttpResponseMessage response;
        using (var timeout = RequestTimeout.Start(limits.ResponseTimeout, aborted))
        {
            try
            {
                response = await _client.SendAsync(request, timeout.Token);
            }
            catch (Exception) when (aborted.IsCancellationRequested)
            {
                return ForwarderError.ClientDisconnected;
            }
            catch (Exception e) when (Find<BadHttpRequestException>(e) is { } bad)
            {
                // Reading the client's body failed inside the send: the client's fault, whatever the handler wraps it in.
                return bad.StatusCode switch
                {
                    StatusCodes.Status413PayloadTooLarge => ForwarderError.RequestBodyTooLarge,
                    StatusCodes.Status408RequestTimeout => ForwarderError.RequestBodyTimedOut,
                    _ => ForwarderError.RequestBodyInvalid,
                };
            }
            catch (OperationCanceledException) when (timeout.TimedOut)
            {
                return ForwarderError.ResponseTimedOut;
            }
            catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError)
            {
                return Find<TimeoutException>(e) is not null ? ForwarderError.ConnectTimedOut : ForwarderError.ConnectFailed;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                return ForwarderError.RequestFailed;
            }
        }

        using (response)
        {
            var requestId = context.Response.Headers["X-Request-Id"];
            try
            {
                context.Response.StatusCode = (int)response.StatusCode;
                CopyResponseHeaders(response, context.Response);
            }
            catch (InvalidOperationException)
            {
                // Kestrel refused a field it cannot write: a malformed answer (502), not the edge's failure (500).
                context.Response.Headers.Clear();
                context.Response.Headers["X-Request-Id"] = requestId;
                return ForwarderError.ResponseInvalid;
            }
            if (response.StatusCode == HttpStatusCode.SwitchingProtocols && upgrade is not null)
            {
                return await TunnelAsync(context, upgrade, response);
            }
            if (response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.ResetContent or HttpStatusCode.NotModified ||
                HttpMethods.IsHead(context.Request.Method))
            {
                return ForwarderError.None; // no body to copy (Kestrel writes none), whatever the app sent
            }
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(aborted);
                await CopyBodyAsync(body, context.Response.Body, limits.ResponseTimeout, aborted);
                return ForwarderError.None;
            }
            catch (Exception) when (aborted.IsCancellationRequested)
            {
                return ForwarderError.ClientDisconnected;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or InvalidOperationException)
            {
                // InvalidOperationException: Kestrel refused a write the app's answer asked for; its head is gone already.
                context.Abort();
                return ForwarderError.ResponseFailed;
            }
        }
    }

    /// <summary>Copies the app's body to the client; an app that sends nothing for <paramref name="idle"/> (its
    /// response timeout, nginx's proxy_read_timeout) is cut, so a hung app does not hold the client forever. An event
    /// stream that sends anything (a comment line) within the limit is never cut.</summary>
    private static async Task CopyBodyAsync(Stream from, Stream to, TimeSpan idle, CancellationToken aborted)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        try
        {
            while (true)
            {
                timeout.CancelAfter(idle);
                int read;
                try
                {
                    read = await from.ReadAsync(buffer, timeout.Token);
                }
                catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
                {
                    throw new IOException($"the app sent nothing for {Durations.Format(idle)} in the middle of its response");
                }
                if (read == 0)
                {
                    return;
                }
                timeout.CancelAfter(Timeout.InfiniteTimeSpan);
                await to.WriteAsync(buffer.AsMemory(0, read), aborted); // Kestrel's response stream flushes each write
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A 101 answer: the upstream's connection and the client's become one duplex pipe until either
    /// side closes (WebSockets, or any other HTTP/1.1 upgrade the app speaks).</summary>
    private static async Task<ForwarderError> TunnelAsync(HttpContext context, IHttpUpgradeFeature upgrade, HttpResponseMessage response)
    {
        var upstream = await response.Content.ReadAsStreamAsync(context.RequestAborted);
        await using var client = await upgrade.UpgradeAsync();
        using var done = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var up = CopyThenCloseAsync(client, upstream, done.Token);
        var down = CopyThenCloseAsync(upstream, client, done.Token);
        await Task.WhenAny(up, down);
        // One side finished: give the other a moment to pass its close frame on, then tear both down.
        await Task.WhenAny(Task.WhenAll(up, down), Task.Delay(TimeSpan.FromSeconds(1)));
        await done.CancelAsync();
        await upstream.DisposeAsync();
        return ForwarderError.None;
    }

    private static async Task CopyThenCloseAsync(Stream from, Stream to, CancellationToken token)
    {
        try
        {
            await from.CopyToAsync(to, token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // A closed or reset side ends the tunnel; nothing to report.
        }
    }

    private HttpRequestMessage CreateRequest(HttpContext context, ForwardTarget target, bool upgrade)
    {
        var incoming = context.Request;
        // The target goes out exactly as the client sent it (unless a rewrite changed it): no unescaping, no
        // dot-segment folding (the app, not the edge, decides what "/a/%2e%2e/b" means, and signatures over the
        // raw path stay valid).
        var uri = new Uri(target.BaseUri.OriginalString.TrimEnd('/') + target.PathAndQuery,
            new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        var request = new HttpRequestMessage(new HttpMethod(incoming.Method), uri)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        if (HasBody(incoming))
        {
            request.Content = new StreamingBodyContent(incoming.Body);
        }

        var connectionListed = ForwardingHeaders.ConnectionTokens(incoming.Headers.Connection);
        var trusted = _trusted.IsTrusted(context.Connection.RemoteIpAddress);
        foreach (var (name, values) in incoming.Headers)
        {
            if (ForwardingHeaders.IsDropped(name, trusted, connectionListed))
            {
                continue;
            }
            var added = values.Count == 1
                ? request.Headers.TryAddWithoutValidation(name, values[0])
                : request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            if (!added)
            {
                request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
        if (upgrade)
        {
            request.Headers.TryAddWithoutValidation("Connection", "Upgrade");
            request.Headers.TryAddWithoutValidation("Upgrade", (IEnumerable<string?>)incoming.Headers.Upgrade);
        }
        request.Headers.Host = target.Host ?? incoming.Host.Value;
        var sink = new MessageHeaders(request);
        ForwardingHeaders.AddOwn(ref sink, context, trusted);
        return request;
    }

    private readonly struct MessageHeaders(HttpRequestMessage request) : IHeaderSink
    {
        public void Add(string name, string value) => request.Headers.TryAddWithoutValidation(name, value);
    }

    /// <summary>A body is forwarded when the client declared one (Content-Length > 0 or chunked).
    /// An HTTP/2 or HTTP/3 request needs neither: its body is whatever DATA frames follow a HEADERS frame that did
    /// not end the stream, which Kestrel reports as CanHaveBody.</summary>
    public static bool HasBody(HttpRequest request) =>
        request.ContentLength switch
        {
            > 0 => true,
            null when HttpProtocol.IsHttp2(request.Protocol) || HttpProtocol.IsHttp3(request.Protocol) =>
                request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true,
            null => request.Headers.TransferEncoding.Count > 0,
            _ => false,
        };

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken token)
    {
        var timeout = context.InitialRequestMessage.Options.TryGetValue(ConnectTimeoutKey, out var value) ? value : TimeSpan.FromSeconds(5);
#pragma warning disable CA2000 // the NetworkStream returned owns the socket
        return new NetworkStream(await Upstream.UpstreamPool.ConnectSocketAsync(context.DnsEndPoint, timeout, token), ownsSocket: true);
#pragma warning restore CA2000
    }

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }
        return null;
    }

    private static void CopyResponseHeaders(HttpResponseMessage response, HttpResponse to)
    {
        var connectionListed = ForwardingHeaders.ConnectionTokens(response.Headers.Connection);
        var upgraded = response.StatusCode == HttpStatusCode.SwitchingProtocols;
        // NonValidated: header values go out exactly as the app wrote them, not re-serialised after parsing.
        Copy(response.Headers.NonValidated, to, connectionListed, upgraded);
        Copy(response.Content.Headers.NonValidated, to, connectionListed, upgraded);
        // The length as the handler parsed it (repeats of one value are one length); a 204 has none (Kestrel refuses one).
        to.Headers.ContentLength = response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.ResetContent
            ? null : response.Content.Headers.ContentLength;
    }

    private static void Copy(HttpHeadersNonValidated headers, HttpResponse to, IReadOnlySet<string> connectionListed, bool upgraded)
    {
        foreach (var (name, values) in headers)
        {
            // A 101 must keep Upgrade (and Kestrel adds Connection: Upgrade itself).
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) ||
                (!(upgraded && name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase)) &&
                 (ForwardingHeaders.IsDroppedFromResponse(name) || connectionListed.Contains(name))))
            {
                continue;
            }
            to.Headers[name] = values.Count == 1 ? new Microsoft.Extensions.Primitives.StringValues(values.ToString()) : values.ToArray();
        }
    }

    public void Dispose()
    {
        _client.Dispose();
        _lean?.Dispose();
    }
}
