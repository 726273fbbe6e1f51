using System.Text;

namespace Slipway.Errors.SourceMaps;

/// <summary>Source maps read once and kept for the next `errors show` (an issue is opened again and again while it is
/// worked on), within <see cref="Budget"/> bytes in all: the least recently used go first. A map is known by its path,
/// size and modification time, so one rewritten by a later build of the same release is read again. A map that could
/// not be read is kept as its reason, so a bad map costs one read, and the reason is shown, not guessed.</summary>
internal sealed class SourceMapCache(long budget = SourceMapCache.Budget)
{
    /// <summary>What the kept maps may hold together (about: their bytes, as <see cref="SourceMap.Size"/> counts).</summary>
    public const long Budget = 64L * 1024 * 1024;

    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recent = new();
    private long _size;

    private sealed record Entry(string Path, long Length, DateTime Modified, SourceMap? Map, string? Problem, long Size);

    /// <summary>The map at <paramref name="path"/> (read now, or kept), or why it cannot be used, and how many bytes were
    /// read from disk for it: a map not kept is read only if it is at most <paramref name="allowance"/> bytes (a
    /// caller's own budget).</summary>
    public (SourceMap? Map, string? Problem, long Read) Get(string path, long allowance)
    {
        FileInfo file;
        try
        {
            file = new FileInfo(path);
            if (!file.Exists || file.LinkTarget is not null)
            {
                return (null, "not a regular file", 0);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, e.Message, 0);
        }
        var (length, modified) = (file.Length, file.LastWriteTimeUtc);
        lock (_entries)
        {
            if (_entries.TryGetValue(path, out var node) && node.Value.Length == length && node.Value.Modified == modified)
            {
                _recent.Remove(node);
                _recent.AddFirst(node);
                return (node.Value.Map, node.Value.Problem, 0);
            }
        }
        if (length > SourceMapStore.MaxMapBytes)
        {
            return (null, $"{Bytes(length)}, over the {Bytes(SourceMapStore.MaxMapBytes)} read for a lookup", 0);
        }
        if (length > allowance)
        {
            return (null, "not read: this event's frames needed too many other maps", 0);
        }
        SourceMap? map = null;
        string? problem = null;
        try
        {
            map = SourceMap.Parse(ReadAtMost(path, SourceMapStore.MaxMapBytes));
        }
        catch (FormatException e)
        {
            problem = e.Message;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or DecoderFallbackException)
        {
            // A string of the map that is not valid UTF-8: a bad map, remembered as one.
            problem = $"not valid UTF-8 JSON ({e.Message})";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone or unreadable now: not kept, the next request tries again.
            return (null, e.Message, length);
        }
        Keep(new Entry(path, length, modified, map, problem, map?.Size ?? 256));
        return (map, problem, length);
    }

    /// <summary>How many maps are kept, and their size (tests).</summary>
    internal (int Count, long Size) Held
    {
        get
        {
            lock (_entries)
            {
                return (_entries.Count, _size);
            }
        }
    }

    private void Keep(Entry entry)
    {
        lock (_entries)
        {
            if (_entries.Remove(entry.Path, out var old))
            {
                _recent.Remove(old);
                _size -= old.Value.Size;
            }
            if (entry.Size > budget)
            {
                return;
            }
            _entries[entry.Path] = _recent.AddFirst(entry);
            _size += entry.Size;
            while (_size > budget && _recent.Last is { } last)
            {
                _recent.RemoveLast();
                _entries.Remove(last.Value.Path);
                _size -= last.Value.Size;
            }
        }
    }

    /// <summary>The file's bytes, never more than <paramref name="limit"/> (it may have grown since its size was read).</summary>
    private static byte[] ReadAtMost(string path, long limit)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (!stream.CanSeek)
        {
            throw new IOException("not a regular file");
        }
        if (stream.Length > limit)
        {
            throw new FormatException($"{Bytes(stream.Length)}, over the {Bytes(limit)} read for a lookup");
        }
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static string Bytes(long n) => $"{n / (1024.0 * 1024):0.#} MiB";
}
