using System.Buffers;
using System.Text.Json;

namespace Slipway.Runtime;

/// <summary>Reads a key's segments for a query. Fast because it does little per line:
///
///   segments, newest first ──► skip one whose time range is outside since..until (its first line's time, and the
///      │                       next one's: a segment holds what was written between them)
///      ▼
///   whole segment in memory ──► with a --grep literal: jump from occurrence to occurrence (IndexOf), never looking at
///      │                        the lines between; else line by line. A level rules lines out by their bytes too.
///      ▼
///   the line's message only ──► the regex
///      ▼
///   the whole entry ──────────► time, level, service; kept if they hold
///
/// and stops once it has the last <c>tail</c> matches. Only the message is ever matched, so nothing a prefilter skips
/// could have matched: the literal is one the stored JSON holds as is whenever the message holds it.</summary>
internal static class LogScan
{
    /// <summary>How long before it is written a line may be stamped (lines of instances that waited for the segment's
    /// lock, a batch of access log lines): a segment is skipped only when its range widened by this misses the query's.</summary>
    internal static readonly TimeSpan Slack = TimeSpan.FromMinutes(1);

    public static IReadOnlyList<LogEntry> Read(string dir, LogQuery query, int tail, CancellationToken cancellationToken)
    {
        if (tail <= 0 || !Directory.Exists(dir))
        {
            return [];
        }
        var files = Directory.GetFiles(dir, "*.ndjson");
        Array.Sort(files, StringComparer.Ordinal);
        var newestFirst = new List<IReadOnlyCollection<LogEntry>>();
        var count = 0;
        DateTimeOffset? nextStarts = null;
        for (var n = files.Length - 1; n >= 0 && count < tail; n--)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var starts = FirstTime(files[n]);
            var before = nextStarts;
            nextStarts = starts ?? nextStarts;
            if ((query.Since is { } since && before is { } end && end + Slack < since) ||
                (query.Until is { } until && starts is { } start && start - Slack > until))
            {
                continue;
            }
            var found = ReadSegment(files[n], query, tail - count, cancellationToken);
            newestFirst.Add(found);
            count += found.Count;
        }
        var result = new List<LogEntry>(count);
        for (var i = newestFirst.Count - 1; i >= 0; i--)
        {
            result.AddRange(newestFirst[i]);
        }
        return result;
    }

    /// <summary>The last <paramref name="keep"/> matching entries of one segment, in order.</summary>
    private static IReadOnlyCollection<LogEntry> ReadSegment(string path, LogQuery query, int keep, CancellationToken cancellationToken)
    {
        byte[]? buffer = null;
        try
        {
            int length;
            try
            {
                using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
                buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(file.Length, Array.MaxLength));
                length = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            }
            catch (FileNotFoundException)
            {
                return []; // pruned while we listed
            }
            var kept = new Queue<LogEntry>();
            var markers = query.LevelMarkers();
            var text = buffer.AsSpan(0, length);
            var at = 0;
            while (at < text.Length)
            {
                // Every line: the search's time limit and a client that went away stop it within one line (the
                // review found segments of long lines never reaching a check made every 4096 lines).
                cancellationToken.ThrowIfCancellationRequested();
                int lineStart;
                if (query.Grep is { Required: not null } grep)
                {
                    // Straight to the next line holding the literal.
                    var hit = grep.IndexOfRequired(text[at..]);
                    if (hit < 0)
                    {
                        break;
                    }
                    lineStart = at + text[at..(at + hit)].LastIndexOf((byte)'\n') + 1;
                }
                else
                {
                    lineStart = at;
                }
                var lineLength = text[lineStart..].IndexOf((byte)'\n');
                var line = lineLength < 0 ? text[lineStart..] : text.Slice(lineStart, lineLength);
                at = lineStart + line.Length + 1;
                if (Consider(line, query, markers) is { } entry)
                {
                    kept.Enqueue(entry);
                    if (kept.Count > keep)
                    {
                        kept.Dequeue();
                    }
                }
            }
            return kept;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>The entry a stored line holds if it matches (null for a line that does not, or a torn last line).</summary>
    private static LogEntry? Consider(ReadOnlySpan<byte> line, LogQuery query, byte[][]? markers)
    {
        if (line.IsEmpty || (markers is not null && !ContainsAny(line, markers)))
        {
            return null;
        }
        try
        {
            if (query.Grep is { } grep && (MessageOf(line) is not { } message || !grep.IsMatch(message)))
            {
                return null;
            }
            var entry = JsonSerializer.Deserialize(line, LogJson.Default.LogEntry);
            return entry is not null && query.MatchesFields(entry) ? entry : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null; // a torn last line after a crash
        }
    }

    /// <summary>The "m" of a stored line, decoding nothing else.</summary>
    private static string? MessageOf(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isMessage = reader.ValueTextEquals("m"u8);
            reader.Read();
            if (isMessage)
            {
                return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            reader.Skip();
        }
        return null;
    }

    private static bool ContainsAny(ReadOnlySpan<byte> line, byte[][] markers)
    {
        foreach (var marker in markers)
        {
            if (line.IndexOf(marker) >= 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The time of a segment's first line (its first field), or null when it has none yet.</summary>
    private static DateTimeOffset? FirstTime(string path)
    {
        Span<byte> head = stackalloc byte[128];
        int read;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        try
        {
            var reader = new Utf8JsonReader(head[..read], isFinalBlock: false, default);
            return reader.Read() && reader.TokenType == JsonTokenType.StartObject &&
                   reader.Read() && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("t"u8) &&
                   reader.Read() && reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var at)
                ? at
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
