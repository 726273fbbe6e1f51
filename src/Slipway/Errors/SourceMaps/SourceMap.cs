using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Slipway.Errors.SourceMaps;

/// <summary>A source map (version 3, https://tc39.es/ecma426/) read for lookups: where a position of the generated
/// file came from. Immutable once read, so one read map answers every request (see <see cref="SourceMapCache"/>).
///
///   mappings: "AAAA,SAASA;;EAEE"   ';' ends a generated line, ',' parts its segments, each segment is 1, 4 or 5
///             Base64 VLQ numbers: generated column, source index, original line, original column, name index;
///             the column restarts on each line, every other field is relative to its value in the segment before.
///
/// Memory stays near the file's size whatever it holds: the map keeps its own bytes, checks every segment once when
/// read, and keeps only the running fields at every <see cref="CheckpointEvery"/>th line; a lookup decodes its line
/// from the checkpoint before it. A source's content is unescaped only when a line of it is asked for.</summary>
internal sealed class SourceMap
{
    /// <summary>Lines between two kept decoder states: a lookup decodes at most this many lines' text.</summary>
    public const int CheckpointEvery = 64;

    private readonly byte[] _json;
    private readonly ReadOnlyMemory<byte> _mappings;
    private readonly string[] _sources;
    private readonly (int Start, int Length)[] _contents;
    private readonly string[] _names;
    private readonly Cursor[] _checkpoints;
    private readonly int _lines;
    private readonly Section[]? _sections;
    private readonly Dictionary<int, LineIndex> _longLines;

    private SourceMap(byte[] json, ReadOnlyMemory<byte> mappings, string[] sources, (int, int)[] contents, string[] names, Cursor[] checkpoints, int lines,
        Dictionary<int, LineIndex>? longLines = null)
    {
        _longLines = longLines ?? [];
        _json = json;
        _mappings = mappings;
        _sources = sources;
        _contents = contents;
        _names = names;
        _checkpoints = checkpoints;
        _lines = lines;
    }

    /// <summary>An index map (Turbopack writes them): sections of the generated file, each from its offset on, with
    /// a map of its own.</summary>
    private SourceMap(byte[] json, Section[] sections)
        : this(json, default, [], [], [], [], 0)
    {
        _sections = sections;
    }

    private sealed record Section(int Line, int Column, SourceMap Map);

    /// <summary>About what the map holds in memory, for a cache's budget.</summary>
    public long Size => _sections is { } sections ? _json.LongLength + sections.Sum(s => s.Map.Size - s.Map._json.LongLength + 16)
        : _json.LongLength + (_mappings.Length > 0 && !IsIn(_mappings.Span) ? _mappings.Length : 0)
          + _checkpoints.LongLength * 40 + _sources.Sum(s => 2L * s.Length + 24) + _names.Sum(n => 2L * n.Length + 24)
          + _longLines.Values.Sum(l => l.Columns.LongLength * 56);

    private readonly record struct Segment(int Column, int Source, int Line, int OriginalColumn, int Name);

    /// <summary>The decoder's running fields at the start of a line: where its text starts in "mappings", and the
    /// source, original line, original column and name that the next segment's fields are relative to.</summary>
    private record struct Cursor(int Position, long Source, long Line, long Column, long Name);

    /// <summary>Segments written between two kept cursors of a long line.</summary>
    private const int SegmentsBetween = 256;

    /// <summary>A long line whose segments are in column order (a minified bundle's one line): the cursor and generated
    /// column before every <see cref="SegmentsBetween"/>th segment, so a lookup decodes a few hundred segments, not the
    /// whole file.</summary>
    private sealed record LineIndex(long[] Columns, long[] Before, Cursor[] Cursors);

    /// <summary>Reads a map, or an index map of sections (keeping <paramref name="json"/>, which must not change
    /// after); throws <see cref="FormatException"/> saying what is wrong with one that is not a valid version 3 map.</summary>
    public static SourceMap Parse(byte[] json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.AsMemory());
        }
        catch (JsonException e)
        {
            throw new FormatException($"not JSON ({e.Message})", e);
        }
        using (document)
        {
            var root = document.RootElement;
            Version3(root);
            if (!root.TryGetProperty("sections", out var sections))
            {
                return Body(json, root);
            }
            if (sections.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("\"sections\" is not an array");
            }
            var read = new List<Section>();
            foreach (var section in sections.EnumerateArray())
            {
                if (section.ValueKind != JsonValueKind.Object || !section.TryGetProperty("offset", out var offset) || offset.ValueKind != JsonValueKind.Object ||
                    !offset.TryGetProperty("line", out var line) || !line.TryGetInt32(out var l) || l < 0 ||
                    !offset.TryGetProperty("column", out var column) || !column.TryGetInt32(out var c) || c < 0 ||
                    !section.TryGetProperty("map", out var map) || map.ValueKind != JsonValueKind.Object)
                {
                    throw new FormatException($"section {read.Count} has no offset {{line, column}} or no map (a section's map given by URL is not read)");
                }
                if (read.Count > 0 && (l, c).CompareTo((read[^1].Line, read[^1].Column)) < 0)
                {
                    throw new FormatException($"section {read.Count} starts before the section ahead of it");
                }
                Version3(map);
                if (map.TryGetProperty("sections", out _))
                {
                    throw new FormatException($"section {read.Count} is itself an index map, which ECMA-426 does not allow");
                }
                try
                {
                    read.Add(new Section(l, c, Body(json, map)));
                }
                catch (FormatException e)
                {
                    throw new FormatException($"section {read.Count}: {e.Message}", e);
                }
            }
            return new SourceMap(json, [.. read]);
        }
    }

    private static void Version3(JsonElement map)
    {
        if (map.ValueKind != JsonValueKind.Object || !map.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number ||
            !version.TryGetInt32(out var v) || v != 3)
        {
            throw new FormatException("not a version 3 source map");
        }
    }

    /// <summary>A map's own fields (a whole map, or a section's), read from <paramref name="root"/>, whose values lie in
    /// <paramref name="json"/>.</summary>
    private static SourceMap Body(byte[] json, JsonElement root)
    {
        var sourceRoot = root.TryGetProperty("sourceRoot", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() ?? "" : "";
        var sources = Array(root, "sources").Select(s => Join(sourceRoot, s.ValueKind == JsonValueKind.String ? s.GetString() ?? "" : "")).ToArray();
        var contents = new (int, int)[sources.Length];
        var index = 0;
        foreach (var content in Array(root, "sourcesContent").Take(sources.Length))
        {
            contents[index++] = content.ValueKind == JsonValueKind.String ? RangeOf(json, JsonMarshal.GetRawUtf8Value(content)) : (-1, 0);
        }
        for (; index < contents.Length; index++)
        {
            contents[index] = (-1, 0);
        }
        var names = Array(root, "names").Select(n => n.ValueKind == JsonValueKind.String ? n.GetString() ?? "" : "").ToArray();
        ReadOnlyMemory<byte> mappings = default;
        if (root.TryGetProperty("mappings", out var m) && m.ValueKind == JsonValueKind.String)
        {
            // Base64 and ",;" need no escapes; a map that escapes them anyway is unescaped into a copy.
            var raw = JsonMarshal.GetRawUtf8Value(m);
            var (start, length) = RangeOf(json, raw);
            mappings = raw.Contains((byte)'\\') ? Encoding.UTF8.GetBytes(m.GetString()!) : json.AsMemory(start + 1, length - 2);
        }
        var (checkpoints, lines, longLines) = Check(mappings.Span, sources.Length, names.Length);
        return new SourceMap(json, mappings, sources, contents, names, checkpoints, lines, longLines);
    }

    /// <summary>Where the generated position (1-based line and column, as stack traces give them) came from: the
    /// last segment written at or before it on its line. Null when nothing of that line maps to a source.</summary>
    public OriginalPosition? Find(int line, int column)
    {
        if (_sections is { } sections)
        {
            // The last section starting at or before the position; its map counts from the section's offset.
            var (l, c) = (line - 1, column - 1);
            var at = System.Array.FindLastIndex(sections, s => (s.Line, s.Column).CompareTo((l, c)) <= 0);
            if (at < 0)
            {
                return null;
            }
            var section = sections[at];
            return section.Map.Find(l - section.Line + 1, (l == section.Line ? c - section.Column : c) + 1);
        }
        if (line < 1 || line > _lines || column < 1)
        {
            return null;
        }
        var m = _mappings.Span;
        var cursor = _checkpoints[(line - 1) / CheckpointEvery];
        for (var skip = (line - 1) % CheckpointEvery; skip > 0; skip--)
        {
            SkipLine(m, ref cursor, _sources.Length, _names.Length);
        }
        var target = column - 1;
        long generated = 0;
        var sorted = false;
        if (_longLines.TryGetValue(line - 1, out var index))
        {
            // Start at the last kept cursor at or before the column: segments come in column order from there.
            var at = System.Array.BinarySearch(index.Columns, target);
            at = at >= 0 ? FirstOf(index.Columns, at) : ~at - 1;
            if (at >= 0)
            {
                (cursor, generated) = (index.Cursors[at], index.Before[at]);
            }
            sorted = true;
        }
        Segment? found = null;
        while (NextSegment(m, ref cursor, ref generated, _sources.Length, _names.Length, out var segment))
        {
            if (segment.Column > target)
            {
                if (sorted)
                {
                    break;
                }
                continue;
            }
            // Segments may be written out of column order; of two at one column the one written last wins.
            if (found is not { } best || segment.Column >= best.Column)
            {
                found = segment;
            }
        }
        if (found is not { Source: >= 0 } s)
        {
            return null;
        }
        return new OriginalPosition(_sources[s.Source], s.Line + 1, s.OriginalColumn + 1, s.Name >= 0 ? _names[s.Name] : null, LineOf(s.Source, s.Line));
    }

    /// <summary>A line of an original source, when the map carries its content (bundlers write sourcesContent).</summary>
    private string? LineOf(int source, int line)
    {
        var (start, length) = _contents[source];
        if (start < 0)
        {
            return null;
        }
        ReadOnlySpan<char> content;
        try
        {
            var reader = new Utf8JsonReader(_json.AsSpan(start, length));
            reader.Read();
            content = reader.GetString()!.AsSpan();
        }
        catch (InvalidOperationException)
        {
            return null; // Not valid UTF-8: the position is still worth showing, without its line.
        }
        for (var i = 0; i < line; i++)
        {
            var next = content.IndexOf('\n');
            if (next < 0)
            {
                return null;
            }
            content = content[(next + 1)..];
        }
        var end = content.IndexOf('\n');
        return (end < 0 ? content : content[..end]).TrimEnd('\r').ToString();
    }

    /// <summary>Checks every segment once and keeps the cursor at every <see cref="CheckpointEvery"/>th line, and inside
    /// each long line written in column order, at every <see cref="SegmentsBetween"/>th segment.</summary>
    private static (Cursor[] Checkpoints, int Lines, Dictionary<int, LineIndex> LongLines) Check(ReadOnlySpan<byte> mappings, int sourceCount, int nameCount)
    {
        var checkpoints = new List<Cursor>();
        var longLines = new Dictionary<int, LineIndex>();
        var cursor = new Cursor(0, 0, 0, 0, 0);
        var lines = 0;
        var columns = new List<long>();
        var befores = new List<long>();
        var cursors = new List<Cursor>();
        do
        {
            if (lines % CheckpointEvery == 0)
            {
                checkpoints.Add(cursor);
            }
            columns.Clear();
            befores.Clear();
            cursors.Clear();
            long generated = 0;
            var count = 0;
            var sorted = true;
            var before = (cursor, generated);
            while (NextSegment(mappings, ref cursor, ref generated, sourceCount, nameCount, out var segment))
            {
                if (count % SegmentsBetween == 0)
                {
                    // The state before this segment, and its column (where a lookup may start).
                    columns.Add(segment.Column);
                    befores.Add(before.generated);
                    cursors.Add(before.cursor);
                }
                sorted &= count == 0 || segment.Column >= before.generated;
                count++;
                before = (cursor, generated);
            }
            if (sorted && count > 2 * SegmentsBetween)
            {
                longLines[lines] = new LineIndex([.. columns], [.. befores], [.. cursors]);
            }
            lines++;
        }
        while (cursor.Position <= mappings.Length);
        return ([.. checkpoints], lines, longLines);
    }

    /// <summary>Moves the cursor past the line it is at.</summary>
    private static void SkipLine(ReadOnlySpan<byte> m, ref Cursor cursor, int sourceCount, int nameCount)
    {
        long generated = 0;
        while (NextSegment(m, ref cursor, ref generated, sourceCount, nameCount, out _))
        {
        }
    }

    /// <summary>The next segment of the line at the cursor (its generated column is <paramref name="generated"/>
    /// plus the segment's delta); false at the line's end, with the cursor moved past its ';' (past the end, after the
    /// last line).</summary>
    private static bool NextSegment(ReadOnlySpan<byte> m, ref Cursor cursor, ref long generated, int sourceCount, int nameCount, out Segment segment)
    {
        Span<long> fields = stackalloc long[5];
        var i = cursor.Position;
        while (i < m.Length && m[i] == ',')
        {
            i++;
        }
        if (i >= m.Length || m[i] == ';')
        {
            cursor.Position = i + 1;
            segment = default;
            return false;
        }
        var count = 0;
        while (i < m.Length && m[i] is not ((byte)',' or (byte)';'))
        {
            if (count == 5)
            {
                throw new FormatException($"a segment of \"mappings\" has more than 5 fields (near character {i})");
            }
            fields[count++] = ReadVlq(m, ref i);
        }
        cursor.Position = i;
        generated += fields[0];
        if (generated is < 0 or > int.MaxValue)
        {
            throw new FormatException($"a segment of \"mappings\" has a generated column below 0 (near character {i})");
        }
        if (count == 1)
        {
            segment = new Segment((int)generated, -1, 0, 0, -1);
            return true;
        }
        if (count is not (4 or 5))
        {
            throw new FormatException($"a segment of \"mappings\" has {count} fields; 1, 4 or 5 are valid (near character {i})");
        }
        cursor.Source += fields[1];
        cursor.Line += fields[2];
        cursor.Column += fields[3];
        var name = -1L;
        if (count == 5)
        {
            cursor.Name += fields[4];
            name = cursor.Name;
            if (name < 0 || name >= nameCount)
            {
                throw new FormatException($"a segment of \"mappings\" points outside the map's names (near character {i})");
            }
        }
        if (cursor.Source < 0 || cursor.Source >= sourceCount || cursor.Line is < 0 or >= int.MaxValue || cursor.Column is < 0 or >= int.MaxValue)
        {
            throw new FormatException($"a segment of \"mappings\" points outside the map's sources (near character {i})");
        }
        segment = new Segment((int)generated, (int)cursor.Source, (int)cursor.Line, (int)cursor.Column, (int)name);
        return true;
    }

    /// <summary>The first of equal columns at or before <paramref name="at"/> (a lookup starts at the first of them).</summary>
    private static int FirstOf(long[] columns, int at)
    {
        while (at > 0 && columns[at - 1] == columns[at])
        {
            at--;
        }
        return at;
    }

    /// <summary>One Base64 VLQ number: 5 bits a character, least significant group first, bit 6 says "more follows",
    /// the lowest bit of the whole is the sign. As ECMA-426 decodes it: a magnitude of 2^31 or more is an error, and
    /// "minus zero" is -2^31 (which every field then refuses).</summary>
    private static long ReadVlq(ReadOnlySpan<byte> text, ref int i)
    {
        long value = 0;
        var shift = 0;
        while (true)
        {
            if (i >= text.Length)
            {
                throw new FormatException("\"mappings\" ends inside a number");
            }
            var digit = Base64(text[i++]);
            if (digit < 0)
            {
                throw new FormatException($"\"mappings\" holds '{(char)text[i - 1]}', which is not Base64 (character {i - 1})");
            }
            value |= (long)(digit & 31) << shift;
            if (value >> 1 >= 1L << 31)
            {
                throw new FormatException($"a number in \"mappings\" is 2^31 or more (near character {i})");
            }
            if ((digit & 32) == 0)
            {
                break;
            }
            shift += 5;
            if (shift > 30)
            {
                throw new FormatException($"a number in \"mappings\" has too many digits (near character {i})");
            }
        }
        var magnitude = value >> 1;
        return (value & 1) == 0 ? magnitude : magnitude == 0 ? int.MinValue : -magnitude;
    }

    private static int Base64(byte c) => c switch
    {
        >= (byte)'A' and <= (byte)'Z' => c - 'A',
        >= (byte)'a' and <= (byte)'z' => c - 'a' + 26,
        >= (byte)'0' and <= (byte)'9' => c - '0' + 52,
        (byte)'+' => 62,
        (byte)'/' => 63,
        _ => -1,
    };

    private static IEnumerable<JsonElement> Array(JsonElement root, string name) =>
        root.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : [];

    /// <summary>Where a raw value that JsonMarshal gave lies in the map's bytes.</summary>
    private static (int Start, int Length) RangeOf(byte[] json, ReadOnlySpan<byte> raw) =>
        json.AsSpan().Overlaps(raw, out var offset) ? (offset, raw.Length) : throw new InvalidOperationException("a value outside the map's bytes");

    private bool IsIn(ReadOnlySpan<byte> span) => _json.AsSpan().Overlaps(span);

    private static string Join(string root, string source) =>
        root.Length == 0 || source.Contains("://", StringComparison.Ordinal) || source.StartsWith('/') ? source : root.TrimEnd('/') + "/" + source;
}

/// <summary>A position in an original source: its path as the map names it, 1-based line and column, the name the
/// map gives the token there, and that source line when the map carries the source.</summary>
internal sealed record OriginalPosition(string Source, int Line, int Column, string? Name, string? ContextLine);
