using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Slipway.Runtime;

/// <summary>Durable, size-bounded line logs on disk, one log per key ("apps/shop", "deployments/d-xxxx").
/// A key's log is a folder of NDJSON segments; the oldest segments are deleted when it grows past its
/// budget. Logs live outside any build or instance directory, so they survive redeploys and rollbacks.
/// Live followers subscribe to a key and get every entry appended after they subscribed; a <see cref="ILogTap"/> (the
/// log drains) sees every entry of every key as it is written.
///
/// Appending never fails for the disk's sake: a line that cannot be written (a full disk, a file it may not write) is
/// dropped and counted, still handed to followers and the tap, and the next line tries the disk again; the first one
/// stored after an outage is preceded by a "platform" warning saying how many lines were lost and when. So an app's
/// output is read and its process never blocks on a full disk, and capture resumes by itself when space returns.</summary>
internal sealed partial class LogStore(string root, long segmentBytes = 4 << 20, long maxBytesPerKey = 64 << 20, Func<string?, string, string>? redact = null,
    ILogTap? tap = null, ILogger? logger = null)
{
    private readonly ConcurrentDictionary<string, KeySegments> _keys = new();
    private readonly Dictionary<(string App, string Stream), long> _droppedByApp = [];

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

    /// <summary>Lines of <paramref name="key"/> this store could not write since it opened it (kept while the key is).</summary>
    public long DroppedLines(string key) => _keys.TryGetValue(key, out var segments) ? segments.Dropped : 0;

    /// <summary>Lines that could not be written, per app and stream ("app", "deployment", "access"), since the platform
    /// started: the metrics export reads them. Never decreases, also when a key is deleted.</summary>
    public IReadOnlyDictionary<(string App, string Stream), long> DroppedByApp()
    {
        lock (_droppedByApp)
        {
            return new Dictionary<(string App, string Stream), long>(_droppedByApp);
        }
    }

    private void CountDropped(string key, int lines)
    {
        var stream = key[..Math.Max(0, key.IndexOf('/', StringComparison.Ordinal))] switch
        {
            "apps" => "app", "deployments" => "deployment", "access" => "access", var other => other,
        };
        var app = LogKeys.AppOf(key) ?? "";
        lock (_droppedByApp)
        {
            _droppedByApp[(app, stream)] = _droppedByApp.GetValueOrDefault((app, stream)) + lines;
        }
    }

    private KeySegments SegmentsOf(string key) =>
        _keys.GetOrAdd(key, k => new KeySegments(k, Path.Combine(root, k), segmentBytes, maxBytesPerKey, tap, logger, CountDropped));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Log {Key} cannot be written ({Error}): its lines are dropped and counted until a write succeeds again")]
    private static partial void LogWritesFailing(ILogger logger, string key, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Log {Key} is written again; {Lost} lines were dropped while it could not be")]
    private static partial void LogWritesResumed(ILogger logger, string key, long lost);

    /// <summary>One key's segment files: the one being appended to, its followers, pruning to the budget, and the
    /// lines the disk would not take.
    /// <code>
    /// lines ─► one write of their NDJSON ──ok──► stored ─► tap, followers
    ///                  │ (an outage before: its "N lines were lost" notice goes first, in the same write)
    ///                  └─IOException──► the segment cut back to its last whole line; the lines counted
    ///                                   (the first failure warns the platform's log) ─► tap, followers
    /// </code></summary>
    private sealed class KeySegments(string key, string dir, long segmentBytes, long maxBytes, ILogTap? tap, ILogger? logger,
        Action<string, int> countDropped) : IDisposable
    {
        private readonly Lock _gate = new();
        // Unbuffered: a line is written with one write() as it comes, so a failed write leaves nothing pending
        // in a buffer, and _length is where the segment's last whole line ends.
        private FileStream? _current;
        private long _length;
        private long _dropped;
        private LogOutage? _outage;

        public ConcurrentDictionary<Channel<LogEntry>, byte> Followers { get; } = new();

        public long Dropped => Interlocked.Read(ref _dropped);

        public void Append(LogEntry entry) => Write([entry]);

        public void AppendMany(IReadOnlyList<LogEntry> entries)
        {
            if (entries.Count > 0)
            {
                Write(entries);
            }
        }

        private void Write(IReadOnlyList<LogEntry> entries)
        {
            var lines = Ndjson(entries);
            LogEntry? notice = null;
            lock (_gate)
            {
                if (_outage is { } outage)
                {
                    notice = outage.Notice(entries[0].At);
                    var both = Ndjson([notice]);
                    both.Write(lines.WrittenSpan);
                    lines = both;
                }
                if (TryWrite(lines.WrittenSpan, out var error))
                {
                    if (_outage is { } ended)
                    {
                        _outage = null;
                        if (logger is not null)
                        {
                            LogWritesResumed(logger, key, ended.Lines);
                        }
                    }
                }
                else
                {
                    notice = null;
                    Interlocked.Add(ref _dropped, entries.Count);
                    countDropped(key, entries.Count);
                    if (_outage is null)
                    {
                        _outage = new LogOutage(entries[0].At, DiskFull.Is(error));
                        if (logger is not null)
                        {
                            LogWritesFailing(logger, key, error.Message);
                        }
                    }
                    _outage.Add(entries.Count, entries[^1].At);
                }
                // Under the lock: the tap sees the lines in the order the disk has them (it only hands them on). A line
                // the disk did not take goes to the tap all the same: a drain may be where it survives.
                if (tap is not null)
                {
                    if (notice is not null)
                    {
                        tap.Appended(key, notice);
                    }
                    foreach (var entry in entries)
                    {
                        tap.Appended(key, entry);
                    }
                }
            }
            foreach (var follower in Followers.Keys)
            {
                if (notice is not null)
                {
                    follower.Writer.TryWrite(notice);
                }
                foreach (var entry in entries)
                {
                    follower.Writer.TryWrite(entry);
                }
            }
        }

        private static ArrayBufferWriter<byte> Ndjson(IReadOnlyList<LogEntry> entries)
        {
            var buffer = new ArrayBufferWriter<byte>(entries.Count * 256);
            using var writer = new Utf8JsonWriter(buffer);
            foreach (var entry in entries)
            {
                JsonSerializer.Serialize(writer, entry, LogJson.Default.LogEntry);
                writer.Flush();
                buffer.Write("\n"u8);
                writer.Reset();
            }
            return buffer;
        }

        /// <summary>Appends whole lines, or nothing: after a failed write (a full disk stops one half-way) the segment is
        /// cut back to its last whole line, or closed, so the next append reopens it and ends a torn line first.</summary>
        private bool TryWrite(ReadOnlySpan<byte> lines, [NotNullWhen(false)] out Exception? error)
        {
            try
            {
                if (_current is null || _length >= segmentBytes)
                {
                    Rotate();
                }
                // Where the file ends now, not where this process's last line ended: during an upgrade the old platform,
                // finishing its requests, and its successor both append to the same segment (O_APPEND).
                _length = _current!.Length;
                _current.Write(lines);
                _length += lines.Length;
                error = null;
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error = e;
                CutBack(lines.Length);
                return false;
            }
        }

        /// <summary>Removes what a failed write of <paramref name="attempted"/> bytes left after the last whole line, unless
        /// another process appended after it (then the stream closes, and the next open ends the torn line).</summary>
        private void CutBack(int attempted)
        {
            if (_current is null)
            {
                return;
            }
            try
            {
                if (_current.Length > _length + attempted)
                {
                    throw new IOException("another process appended after the failed write");
                }
                // Shrinking a file takes no space, so this works on a full disk; the stream stays open and the next
                // line is one write() away.
                _current.SetLength(_length);
                _current.Position = _length;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _current.Dispose();
                _current = null;
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
            _current = null;
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
            var stream = OpenAppending(path);
            try
            {
                if (stream.Length > 0 && !EndsWithNewline(path))
                {
                    // A crash (or a failed write that could not be cut back) left half a line: end it, so the next
                    // entry is not glued to it and lost.
                    stream.Write("\n"u8);
                }
            }
            catch
            {
                stream.Dispose();
                throw;
            }
            _current = stream;
            _length = stream.Length;
            Prune(files, path);
        }

        private void Prune(List<string> files, string current)
        {
            try
            {
                var total = files.Where(File.Exists).Sum(f => new FileInfo(f).Length);
                foreach (var old in files.Where(f => f != current))
                {
                    if (total <= maxBytes)
                    {
                        break;
                    }
                    total -= new FileInfo(old).Length;
                    File.Delete(old);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not a write failure: the segment is open and takes lines; the next rotation prunes again.
            }
        }
    }

    /// <summary>A segment opened with O_APPEND (FileMode.Append only seeks to the end once): each write lands at the end
    /// of the file whoever else appends, so the old platform process finishing its requests after an upgrade and its
    /// successor never write over each other's lines.</summary>
    private static FileStream OpenAppending(string path)
    {
        var fd = OpenNative(path, OWrOnly | OCreat | OAppend | OCloExec, 0b110_000_000);
        if (fd < 0)
        {
            throw new IOException($"cannot open {path}: {System.Runtime.InteropServices.Marshal.GetLastPInvokeErrorMessage()}");
        }
#pragma warning disable CA2000 // the stream owns the handle and closes it when disposed
        var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
#pragma warning restore CA2000
        stream.Seek(0, SeekOrigin.End);
        return stream;
    }

    private const int OWrOnly = 1, OCreat = 0x40, OAppend = 0x400, OCloExec = 0x80000;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenNative(string path, int flags, int mode);
}
