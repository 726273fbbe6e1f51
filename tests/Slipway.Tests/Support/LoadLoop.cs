using System.Collections.Concurrent;
using System.Diagnostics;

namespace Slipway.Tests.Support;

/// <summary>Continuous load through the edge from a few concurrent clients, recording every answer (status
/// and X-App-Version) so a test can assert that no request failed and see each switch. Stopping lets every
/// client finish one request started after the stop was asked for, so the answers always include the state
/// at that moment (on a busy machine, the requests in flight may all have started before it).</summary>
internal sealed class LoadLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _stopAskedAt = TimeSpan.MaxValue;

    public LoadLoop(int port, string app, int concurrency = 4, string path = "/")
    {
        _workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var lastStart = TimeSpan.Zero;
            while (!_stop.IsCancellationRequested || lastStart < _stopAskedAt)
            {
                var at = lastStart = _clock.Elapsed;
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{path}");
                    request.Headers.Host = $"{app}.localhost";
                    using var response = await _http.SendAsync(request);
                    await response.Content.ReadAsByteArrayAsync();
                    Results.Add(new Sample(at, (int)response.StatusCode,
                        response.Headers.TryGetValues("X-App-Version", out var v) ? v.First() : null));
                }
                catch (HttpRequestException e)
                {
                    Results.Add(new Sample(at, 0, e.Message));
                }
            }
        })).ToArray();
    }

    public ConcurrentBag<Sample> Results { get; } = [];

    public TimeSpan Now => _clock.Elapsed;

    public IReadOnlyList<string> Failures => Results.Where(s => s.Status is < 200 or >= 300).OrderBy(s => s.At).Select(s => s.ToString()).ToList();

    public async Task StopAsync()
    {
        _stopAskedAt = _clock.Elapsed;
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }
        _http.Dispose();
        _stop.Dispose();
    }

    internal sealed record Sample(TimeSpan At, int Status, string? Version);
}
