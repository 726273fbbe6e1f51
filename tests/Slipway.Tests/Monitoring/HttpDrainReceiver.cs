using System.IO.Compression;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Slipway.Tests.Edge;

namespace Slipway.Tests.Monitoring;

/// <summary>A real HTTP log receiver on 127.0.0.1 (Kestrel): NDJSON batches by POST, gzipped or not. It answers what
/// <see cref="Answer"/> says for each request (by its number, from 1); only batches it answers 2xx count as received.
/// With <see cref="Hang"/> set it holds requests until that completes.</summary>
internal sealed class HttpDrainReceiver : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<JsonElement> _lines = [];
    private readonly List<int> _batches = [];
    private LoopbackServer _server = null!;
    private int _requests;

    public Func<int, int> Answer { get; set; } = _ => 200;
    public TaskCompletionSource? Hang { get; set; }
    public string? Authorization { get; private set; }
    public string? ContentType { get; private set; }
    public string? ContentEncoding { get; private set; }
    public int Requests => Volatile.Read(ref _requests);
    public string Url => $"http://127.0.0.1:{_server.Port}/ingest";

    public IReadOnlyList<JsonElement> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    public IReadOnlyList<string> Messages => Lines.Select(l => l.GetProperty("message").GetString()!).ToList();

    public IReadOnlyList<int> Batches
    {
        get
        {
            lock (_gate)
            {
                return [.. _batches];
            }
        }
    }

    public static async Task<HttpDrainReceiver> StartAsync()
    {
        var receiver = new HttpDrainReceiver();
        receiver._server = await LoopbackServer.StartAsync(receiver.HandleAsync);
        return receiver;
    }

    /// <summary>Waits until <paramref name="count"/> lines were received (or the time is over: the caller's assertions say what was missing).</summary>
    public async Task WaitForAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Lines.Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var number = Interlocked.Increment(ref _requests);
        Authorization = context.Request.Headers.Authorization;
        ContentType = context.Request.ContentType;
        ContentEncoding = context.Request.Headers.ContentEncoding;
        using var body = new MemoryStream();
        await (ContentEncoding == "gzip" ? new GZipStream(context.Request.Body, CompressionMode.Decompress) : context.Request.Body).CopyToAsync(body);
        if (Hang is { } hang)
        {
            await hang.Task.WaitAsync(context.RequestAborted);
        }
        var status = Answer(number);
        if (status is >= 200 and < 300)
        {
            var lines = System.Text.Encoding.UTF8.GetString(body.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
            lock (_gate)
            {
                _lines.AddRange(lines);
                _batches.Add(lines.Count);
            }
        }
        context.Response.StatusCode = status;
    }

    public async ValueTask DisposeAsync()
    {
        Hang?.TrySetResult();
        await _server.DisposeAsync();
    }
}
