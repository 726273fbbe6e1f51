using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Slipway.Runtime;

namespace Slipway.Edge;

/// <summary>One line of the access log. The path is logged without its query string: queries carry tokens
/// and signed-URL secrets more often than not.</summary>
internal sealed record AccessEntry(
    [property: JsonPropertyName("id")] string RequestId,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("ms")] double Milliseconds,
    [property: JsonPropertyName("ip")] string Client,
    [property: JsonPropertyName("route")] string Route,
    [property: JsonPropertyName("proto")] string Protocol);

[JsonSerializable(typeof(AccessEntry))]
internal sealed partial class AccessJson : JsonSerializerContext;

/// <summary>The structured access log: requests are queued without blocking and written in batches by one
/// background writer to the app's "access/APP" log stream. When the disk cannot keep up, lines are dropped
/// and counted rather than slowing requests down.</summary>
internal sealed class AccessLog : IAsyncDisposable
{
    private readonly Channel<(string App, string? Service, DateTimeOffset At, AccessEntry Entry)> _queue =
        Channel.CreateBounded<(string, string?, DateTimeOffset, AccessEntry)>(
            new BoundedChannelOptions(16_384) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private readonly LogStore _logs;
    private readonly Task _writer;
    private long _dropped;

    public AccessLog(LogStore logs)
    {
        _logs = logs;
        _writer = Task.Run(WriteAsync);
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Write(string app, string? service, DateTimeOffset at, AccessEntry entry)
    {
        if (!_queue.Writer.TryWrite((app, service, at, entry)))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private async Task WriteAsync()
    {
        var reader = _queue.Reader;
        var batches = new Dictionary<string, List<LogEntry>>();
        while (await reader.WaitToReadAsync())
        {
            // Everything queued so far goes out as one write per app: under load that is a few writes a second
            // instead of one per request.
            var count = 0;
            while (count++ < 4096 && reader.TryRead(out var item))
            {
                var line = JsonSerializer.Serialize(item.Entry, AccessJson.Default.AccessEntry);
                if (!batches.TryGetValue(item.App, out var batch))
                {
                    batches[item.App] = batch = [];
                }
                batch.Add(new LogEntry(item.At, "access", line, Service: item.Service));
            }
            foreach (var (app, batch) in batches)
            {
                if (batch.Count > 0)
                {
                    _logs.AppendMany(LogKeys.Access(app), batch);
                    batch.Clear();
                }
            }
            if (batches.Count > 64)
            {
                batches.Clear();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
    }
}
