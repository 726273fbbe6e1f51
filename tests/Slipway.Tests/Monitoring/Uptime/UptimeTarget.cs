using Microsoft.AspNetCore.Http;
using Slipway.Tests.Edge;

namespace Slipway.Tests.Monitoring.Uptime;

/// <summary>A real HTTP target on 127.0.0.1 that the test controls: /switch answers 200 or 503 as <see cref="Up"/>
/// says, /flap alternates 200 and 503 request by request, /slow answers after 3 s. It records when each request came and
/// with which User-Agent.</summary>
internal sealed class UptimeTarget : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<(string Path, DateTimeOffset At, int Status, string? Agent)> _requests = [];
    private LoopbackServer _server = null!;
    private int _flaps;

    public volatile bool Up = true;

    public string Url(string path) => $"http://127.0.0.1:{_server.Port}{path}";

    public IReadOnlyList<(string Path, DateTimeOffset At, int Status, string? Agent)> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<UptimeTarget> StartAsync()
    {
        var target = new UptimeTarget();
        target._server = await LoopbackServer.StartAsync(target.HandleAsync);
        return target;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var at = DateTimeOffset.UtcNow;
        var path = context.Request.Path.Value ?? "/";
        var status = path switch
        {
            "/switch" => Up ? 200 : 503,
            "/flap" => Interlocked.Increment(ref _flaps) % 2 == 1 ? 200 : 503,
            _ => 200,
        };
        if (path == "/slow")
        {
            await Task.Delay(TimeSpan.FromSeconds(3), context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        lock (_gate)
        {
            _requests.Add((path, at, status, context.Request.Headers.UserAgent.ToString()));
        }
        context.Response.StatusCode = status;
        await context.Response.WriteAsync(status == 200 ? "ok" : "down");
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
