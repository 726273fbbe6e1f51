namespace Slipway.Runtime;

internal enum ProbeResult { Healthy, Unhealthy, Unreachable }

/// <summary>The platform probes instances itself over loopback: apps need no curl, no agent, nothing.
/// Healthy means any answer below 500 on the declared path.</summary>
internal sealed class HealthProbe : IDisposable
{
    private readonly HttpClient _client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromSeconds(30),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(2),
        ConnectTimeout = TimeSpan.FromSeconds(2),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public async Task<(ProbeResult Result, string Detail)> ProbeAsync(int port, string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{path}");
            request.Headers.Add("User-Agent", "slipway-health/1");
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            var code = (int)response.StatusCode;
            return code < 500
                ? (ProbeResult.Healthy, $"GET {path} answered {code}")
                : (ProbeResult.Unhealthy, $"GET {path} answered {code}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return (ProbeResult.Unreachable, "probe cancelled: the instance is stopping");
        }
        catch (OperationCanceledException)
        {
            return (ProbeResult.Unhealthy, $"GET {path} did not answer within {timeout.TotalSeconds:0.#}s");
        }
        catch (HttpRequestException e)
        {
            return (ProbeResult.Unreachable, $"GET {path} failed: {e.Message}");
        }
    }

    public void Dispose() => _client.Dispose();
}
