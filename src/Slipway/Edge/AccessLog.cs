using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Slipway.Runtime;

namespace Slipway.Edge;

/// <summary>One request as the access log records it. The path is logged without its query string: queries
/// carry tokens and signed-URL secrets more often than not.</summary>
internal sealed record AccessEntry(string RequestId, string Method, string Path, int Status, double Milliseconds, string Client,
    string Route, string Protocol)
{
    /// <summary>The line in logfmt, the key=value form Heroku's router logs use, so the usual tools parse it:
    /// <c>method=GET path=/api/users status=200 ms=1.234 ip=203.0.113.7 route=/api/:path* proto=HTTP/1.1 id=...</c></summary>
    public string ToLogfmt()
    {
        var line = new StringBuilder(160);
        line.Append("method=").Append(Method);
        Append(line, " path=", Path);
        line.Append(" status=").Append(Status.ToString(CultureInfo.InvariantCulture));
        line.Append(" ms=").Append(Milliseconds.ToString("0.###", CultureInfo.InvariantCulture));
        Append(line, " ip=", Client);
        Append(line, " route=", Route);
        Append(line, " proto=", Protocol);
        Append(line, " id=", RequestId);
        return line.ToString();
    }

    private static void Append(StringBuilder line, string key, string value)
    {
        line.Append(key);
        if (value.Length > 0 && !value.AsSpan().ContainsAny(" \"=\\") && !value.Any(char.IsControl))
        {
            line.Append(value);
            return;
        }
        // Quoted, with control characters escaped: a path or header with a newline cannot forge another log line.
        line.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': line.Append("\\\\"); break;
                case '"': line.Append("\\\""); break;
                case '\n': line.Append("\\n"); break;
                case '\r': line.Append("\\r"); break;
                case '\t': line.Append("\\t"); break;
                case var control when char.IsControl(control):
                    line.Append("\\u").Append(((int)control).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default: line.Append(c); break;
            }
        }
        line.Append('"');
    }
}

/// <summary>The structured access log: requests are queued without blocking or waking anything, and a
/// background writer drains the queue a few times a second into each app's "access/APP" log stream with one
/// write per app. When the disk cannot keep up, lines are dropped and counted rather than slowing requests.</summary>
internal sealed class AccessLog : IAsyncDisposable
{
    private const int MaxQueued = 100_000;
    private static readonly TimeSpan DrainInterval = TimeSpan.FromMilliseconds(250);

    private readonly ConcurrentQueue<(string App, string? Service, DateTimeOffset At, AccessEntry Entry)> _queue = new();
    private readonly LogStore _logs;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _writer;
    private int _queued;
    private long _dropped;

    public AccessLog(LogStore logs, TimeProvider? clock = null)
    {
        _logs = logs;
        _writer = WriteAsync(clock ?? TimeProvider.System);
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Write(string app, string? service, DateTimeOffset at, AccessEntry entry)
    {
        if (Interlocked.Increment(ref _queued) > MaxQueued)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            return;
        }
        _queue.Enqueue((app, service, at, entry));
    }

    private async Task WriteAsync(TimeProvider clock)
    {
        using var timer = new PeriodicTimer(DrainInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                Drain();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: what is queued is written below.
        }
        Drain();
    }

    private void Drain()
    {
        Dictionary<string, List<LogEntry>>? batches = null;
        while (_queue.TryDequeue(out var item))
        {
            Interlocked.Decrement(ref _queued);
            batches ??= [];
            if (!batches.TryGetValue(item.App, out var batch))
            {
                batches[item.App] = batch = [];
            }
            // A 5xx is an error and a 4xx a warning, so `slipway logs --access --level error` lists the failed requests.
            var level = item.Entry.Status >= 500 ? LogSeverity.Error : item.Entry.Status >= 400 ? LogSeverity.Warn : (LogSeverity?)null;
            batch.Add(new LogEntry(item.At, "access", item.Entry.ToLogfmt(), Service: item.Service, Level: level));
        }
        foreach (var (app, batch) in batches ?? [])
        {
            _logs.AppendMany(LogKeys.Access(app), batch);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _writer;
        _stop.Dispose();
    }
}
