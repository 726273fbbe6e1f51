using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Slipway.Monitoring.Uptime;

/// <summary>Makes one check's request: GET, redirects not followed (a 3xx is judged by --expect), no cookies, no
/// proxy, "Slipway-Uptime/1.0" as User-Agent, the check's timeout for the whole answer's head. Every way the target
/// can fail (refused, unresolvable, TLS, timeout, reset) is a failed <see cref="UptimeResult"/>, never an exception.</summary>
internal sealed class UptimeProbe(TimeProvider clock) : IDisposable
{
    public const string UserAgent = "Slipway-Uptime/1.0";

    private readonly HttpClient _http = Client(confined: false);
    private readonly HttpClient _confined = Client(confined: true);

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "The client owns its handler (disposeHandler defaults to true).")]
    private static HttpClient Client(bool confined)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            // A check must see a target go away: a pooled connection is not kept long.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        };
        if (confined)
        {
            // Checked at connect time, on the addresses actually dialled, so a name that resolves (or rebinds) to a
            // private address is refused too.
            handler.ConnectCallback = ConfinedTarget.ConnectAsync;
        }
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public async Task<UptimeResult> CheckAsync(UptimeCheck check, CancellationToken cancellationToken)
    {
        var at = clock.GetUtcNow();
        var started = clock.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Never longer than the interval: a check holds one of the checker's few slots while it waits.
        var limit = check.Timeout < check.Interval ? check.Timeout : check.Interval;
        timeout.CancelAfter(limit);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, check.Target);
            request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
            if (check.Host is not null)
            {
                request.Headers.Host = check.Host;
            }
            using var response = await (check.Confined ? _confined : _http).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            var ok = check.Expect.Matches(status);
            return new UptimeResult(at, ok, status, Elapsed(started), ok ? null : $"HTTP {status}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new UptimeResult(at, false, null, Elapsed(started), $"timeout after {Durations.Format(limit)}");
        }
        catch (HttpRequestException e)
        {
            return new UptimeResult(at, false, null, Elapsed(started), Describe(e, check.Target));
        }
    }

    private double Elapsed(long started) => clock.GetElapsedTime(started).TotalMilliseconds;

    /// <summary>Why a request failed, in a few words a user can act on.</summary>
    internal static string Describe(HttpRequestException e, Uri target)
    {
        if (e.InnerException is ConfinedTarget.RefusedException || e.InnerException?.InnerException is ConfinedTarget.RefusedException)
        {
            return "refused: an app's check may not reach this machine or a private network";
        }
        var socket = e.InnerException as SocketException ?? e.InnerException?.InnerException as SocketException;
        // Never the exception's own text past this point: it can quote what the target sent (a banner of a non-HTTP
        // service), and causes are shown on public status pages.
        return (e.HttpRequestError, socket?.SocketErrorCode) switch
        {
            (_, SocketError.ConnectionRefused) => "connection refused",
            (HttpRequestError.NameResolutionError, _) or (_, SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData) =>
                $"cannot resolve {target.Host}",
            (HttpRequestError.SecureConnectionError, _) => "TLS: " + (e.InnerException is AuthenticationException tls ? tls.Message : "the handshake failed"),
            (_, SocketError.ConnectionReset) or (HttpRequestError.ResponseEnded, _) => "connection closed before an answer",
            (_, SocketError.NetworkUnreachable or SocketError.HostUnreachable) => "network unreachable",
            (HttpRequestError.InvalidResponse, _) => "not an HTTP answer",
            (HttpRequestError.ConnectionError, _) => "connection failed",
            _ => "request failed",
        };
    }

    public void Dispose()
    {
        _http.Dispose();
        _confined.Dispose();
    }
}
