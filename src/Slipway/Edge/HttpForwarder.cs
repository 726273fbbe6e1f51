using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Slipway.Runtime;

namespace Slipway.Edge;

internal enum ForwarderError
{
    None,
    /// <summary>No connection could be made: nothing was sent, so the request may go to another instance.</summary>
    ConnectFailed,
    /// <summary>Sent, but no response came (reset, timeout).</summary>
    RequestFailed,
    /// <summary>The response started and then broke; the client connection is aborted.</summary>
    ResponseFailed,
    ClientDisconnected,
}

/// <summary>Forwards one request to one instance and streams the answer back.
///
///   client ──► copy method, target, headers (minus hop-by-hop) ──► SendAsync (headers only)
///          ◄── copy status + headers (minus hop-by-hop) ◄── stream the body as it arrives
///
/// Expected network failures come back as <see cref="ForwarderError"/>, not exceptions: the caller decides
/// between retrying on another instance and answering 502.</summary>
internal sealed class HttpForwarder : IDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
        "TE", "Trailer", "Transfer-Encoding", "Upgrade",
    };

    private readonly HttpMessageInvoker _client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ActivityHeadersPropagator = null,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        // Below Node's default 5 s keep-alive timeout, so we never reuse a connection the app is closing.
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(4),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    });

    public async ValueTask<ForwarderError> ForwardAsync(HttpContext context, InstanceEndpoint backend)
    {
        var aborted = context.RequestAborted;
        using var request = CreateRequest(context, backend);
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return ForwarderError.ClientDisconnected;
        }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError)
        {
            return ForwarderError.ConnectFailed;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            return ForwarderError.RequestFailed;
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            CopyResponseHeaders(response, context.Response);
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(aborted);
                await body.CopyToAsync(context.Response.Body, aborted);
                return ForwarderError.None;
            }
            catch (Exception) when (aborted.IsCancellationRequested)
            {
                return ForwarderError.ClientDisconnected;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                context.Abort();
                return ForwarderError.ResponseFailed;
            }
        }
    }

    private static HttpRequestMessage CreateRequest(HttpContext context, InstanceEndpoint backend)
    {
        var incoming = context.Request;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var target = rawTarget is { Length: > 0 } && rawTarget[0] == '/'
            ? rawTarget
            : incoming.PathBase + incoming.Path + incoming.QueryString;
        // The target goes out exactly as the client sent it: no unescaping, no dot-segment folding (the app,
        // not the edge, decides what "/a/%2e%2e/b" means, and signatures over the raw path stay valid).
        var uri = new Uri(backend.BaseUri.OriginalString + target, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        var request = new HttpRequestMessage(new HttpMethod(incoming.Method), uri)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        if (HasBody(incoming))
        {
            request.Content = new StreamingBodyContent(incoming.Body);
        }

        var connectionListed = ConnectionTokens(incoming.Headers.Connection);
        foreach (var (name, values) in incoming.Headers)
        {
            if (HopByHop.Contains(name) || connectionListed.Contains(name) || name.StartsWith(':') ||
                name.Equals("Host", StringComparison.OrdinalIgnoreCase) ||
                name.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
        request.Headers.Host = incoming.Host.Value;
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", context.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", incoming.Scheme);
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", incoming.Host.Value);
        if (!incoming.Headers.ContainsKey("X-Request-Id"))
        {
            request.Headers.TryAddWithoutValidation("X-Request-Id", context.TraceIdentifier);
        }
        return request;
    }

    /// <summary>A body is forwarded when the client declared one (Content-Length > 0 or chunked).</summary>
    public static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    private static HashSet<string> ConnectionTokens(IEnumerable<string?> values)
    {
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in values)
        {
            foreach (var token in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                set.Add(token);
            }
        }
        return set;
    }

    private static void CopyResponseHeaders(HttpResponseMessage response, HttpResponse to)
    {
        var connectionListed = ConnectionTokens(response.Headers.Connection);
        // NonValidated: header values go out exactly as the app wrote them, not re-serialised after parsing.
        foreach (var (name, values) in response.Headers.NonValidated.Concat(response.Content.Headers.NonValidated))
        {
            if (HopByHop.Contains(name) || connectionListed.Contains(name))
            {
                continue;
            }
            to.Headers[name] = values.ToArray();
        }
    }

    public void Dispose() => _client.Dispose();
}
