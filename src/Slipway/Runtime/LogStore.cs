using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;

namespace Slipway.Runtime;

/// <summary>Durable, size-bounded line logs on disk, one log per key ("apps/shop", "deployments/d-xxxx").
/// A key's log is a folder of NDJSON segments; the oldest segments are deleted when it grows past its
/// budget. Logs live outside any build or instance directory, so they survive redeploys and rollbacks.
/// Live followers subscribe to a key and get every entry appended after they subscribed; a <see cref="ILogTap"/> (the
/// log drains) sees every entry of every key as it is written.</summary>
internal sealed class LogStore(string root, long segmentBytes = 4 << 20, long maxBytesPerKey = 64 << 20, Func<string?, string, string>? redact = null,
    ILogTap? tap = null)
{
    private readonly ConcurrentDictionary<string, KeySegments> _keys = new();

    /// <summary>Stores a line (secrets of the key's app redacted first: nothing secret ever reaches the disk
    /// or a follower).</summary>
    public void Append(string key, LogEntry entry)
    {
        if (redact is not null)
        {
            entry = entry with { Message = redact(LogKeys.AppOf(key), entry.Message) };
        }
        var segments = SegmentsOf(key);
        segments.Append(entry);
    }

    /// <summary>Stores several lines of one key with one write to disk (the edge's access log: a line per request).</summary>
    public void AppendMany(string key, IReadOnlyList<LogEntry> entries)
    {
        if (redact is not null)
        {
            var app = LogKeys.AppOf(key);
            entries = entries.Select(e => e with { Message = redact(app, e.Message) }).ToList();
        }
        var segments = SegmentsOf(key);
        segments.AppendMany(entries);
    }

    /// <summary>The entries of a key that match <paramref name="query"/>, in time order, at most the last
    /// <paramref name="tail"/> (<see cref="LogScan"/> says how it stays fast on a full log).</summary>
    public IReadOnlyList<LogEntry> Read(string key, LogQuery? query = null, int tail = int.MaxValue, CancellationToken cancellationToken = default)
    {
        if (_keys.TryGetValue(key, out var live))
        {
            live.Flush();
        }
        return LogScan.Read(Path.Combine(root, key), query ?? LogQuery.All, tail, cancellationToken);
    }

    /// <summary>Follow a key: the channel gets every entry appended from now on, until the token is cancelled.
    /// A follower that cannot keep up loses its oldest lines rather than slowing the apps down.</summary>
    public ChannelReader<LogEntry> Subscribe(string key, CancellationToken cancellationToken)
    {
        var segments = SegmentsOf(key);
        var channel = Channel.CreateBounded<LogEntry>(new BoundedChannelOptions(10_000)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
        });
        segments.Followers.TryAdd(channel, 0);
        cancellationToken.Register(() =>
        {
            segments.Followers.TryRemove(channel, out _);
            channel.Writer.TryComplete();
        });
        return channel.Reader;
    }

    public void Delete(string key)
    {
        if (_keys.TryRemove(key, out var segments))
        {
            segments.Close();
        }
        var dir = Path.Combine(root, key);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public void FlushAll()
    {
        foreach (var segments in _keys.Values)
        {
            segments.Flush();
        }
    }

    private KeySegments SegmentsOf(string key) =>
        _keys.GetOrAdd(key, k => new KeySegments(k, Path.Combine(root, k), segmentBytes, maxBytesPerKey, tap));

    /// <summary>One key's segment files: the one being appended to, its followers, and pruning to the budget.</summary>
    private sealed class KeySegments(string key, string dir, long segmentBytes, long maxBytes, ILogTap? tap) : IDisposable
    {
        private readonly Lock _gate = new();
        private FileStream? _current;
        public ConcurrentDictionary<Channel<LogEntry>, byte> Followers { get; } = new();

        public void Append(LogEntry entry)
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(entry, LogJson.Default.LogEntry);
            lock (_gate)
            {
                if (_current is null || _current.Length >= segmentBytes)
                {
                    Rotate();
                }
                _current!.Write(bytes);
                _current.WriteByte((byte)'\n');
                _current.Flush();
                // Under the lock: the tap sees the lines in the order the disk has them (it only hands them on).
                tap?.Appended(key, entry);
            }
            foreach (var follower in Followers.Keys)
            {
                follower.Writer.TryWrite(entry);
            }
        }

        public void AppendMany(IReadOnlyList<LogEntry> entries)
        {
            var buffer = new ArrayBufferWriter<byte>(entries.Count * 256);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                foreach (var entry in entries)
                {
                    JsonSerializer.Serialize(writer, entry, LogJson.Default.LogEntry);
                    writer.Flush();
                    buffer.Write("\n"u8);
                    writer.Reset();
                }
            }
            lock (_gate)
            {
                if (_current is null || _current.Length >= segmentBytes)
                {
                    Rotate();
                }
                _current!.Write(buffer.WrittenSpan);
                _current.Flush();
                if (tap is not null)
                {
                    foreach (var entry in entries)
                    {
                        tap.Appended(key, entry);
                    }
                }
            }
            foreach (var follower in Followers.Keys)
            {
                foreach (var entry in entries)
                {
                    follower.Writer.TryWrite(entry);
                }
            }
        }

        public void Flush()
        {
            lock (_gate)
            {
                _current?.Flush();
            }
        }

        /// <summary>Closes the segment being appended to; the next append opens one again.</summary>
        public void Close()
        {
            lock (_gate)
            {
                _current?.Dispose();
                _current = null;
            }
        }

        public void Dispose() => Close();

        private static bool EndsWithNewline(string path)
        {
            using var read = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            read.Seek(-1, SeekOrigin.End);
            return read.ReadByte() == '\n';
        }

        private void Rotate()
        {
            _current?.Dispose();
            Directory.CreateDirectory(dir);
            var files = Directory.GetFiles(dir, "*.ndjson").Order(StringComparer.Ordinal).ToList();
            // Reopen the newest segment after a restart while it has room; otherwise start the next one.
            var last = files.LastOrDefault();
            string path;
            if (last is not null && new FileInfo(last).Length < segmentBytes)
            {
                path = last;
            }
            else
            {
                var next = last is null ? 1 : long.Parse(Path.GetFileNameWithoutExtension(last)) + 1;
                path = Path.Combine(dir, $"{next:D8}.ndjson");
                files.Add(path);
            }
            _current = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            if (_current.Length > 0 && !EndsWithNewline(path))
            {
                // A crash left half a line: end it, so the next entry is not glued to it and lost.
                _current.WriteByte((byte)'\n');
            }
            var total = files.Where(File.Exists).Sum(f => new FileInfo(f).Length);
            foreach (var old in files.Where(f => f != path))
            {
                if (total <= maxBytes)
                {
                    break;
                }
                total -= new FileInfo(old).Length;
                File.Delete(old);
            }
        }
    }
}
