using System.Text.Json;

namespace Slipway.Errors.SourceMaps;

/// <summary>A source map (version 3, https://tc39.es/ecma426/) read for lookups: where a position of the generated
/// file came from. Its "mappings" are decoded once into one sorted array of segments per generated line.
///
///   mappings: "AAAA,SAASA;;EAEE"   ';' ends a generated line, ',' parts its segments, each segment is 1, 4 or 5
///             Base64 VLQ numbers: generated column, source index, original line, original column, name index;
///             the column restarts on each line, every other field is relative to its value in the segment before.
/// </summary>
internal sealed class SourceMap
{
    private readonly string[] _sources;
    private readonly string?[] _contents;
    private readonly string[] _names;
    private readonly Segment[][] _lines;
    private readonly Dictionary<int, string[]> _splitContents = [];

    private SourceMap(string[] sources, string?[] contents, string[] names, Segment[][] lines)
    {
        _sources = sources;
        _contents = contents;
        _names = names;
        _lines = lines;
    }

    private readonly record struct Segment(int Column, int Source, int Line, int OriginalColumn, int Name);

    /// <summary>Reads a map; throws <see cref="FormatException"/> saying what is wrong with one that is not a
    /// version 3 map (an index map with "sections" included: bundlers of browser code do not write them).</summary>
    public static SourceMap Parse(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new FormatException($"not JSON ({e.Message})", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number ||
                version.GetInt32() != 3)
            {
                throw new FormatException("not a version 3 source map");
            }
            if (root.TryGetProperty("sections", out _))
            {
                throw new FormatException("an index map (with sections), which is not read");
            }
            var sourceRoot = root.TryGetProperty("sourceRoot", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() ?? "" : "";
            var sources = Strings(root, "sources").Select(s => Join(sourceRoot, s ?? "")).ToArray();
            var contents = Strings(root, "sourcesContent");
            Array.Resize(ref contents, sources.Length);
            var names = Strings(root, "names").Select(n => n ?? "").ToArray();
            var mappings = root.TryGetProperty("mappings", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
            return new SourceMap(sources, contents, names, Decode(mappings, sources.Length, names.Length));
        }
    }

    /// <summary>Where the generated position (1-based line and column, as stack traces give them) came from: the
    /// segment at or before it on its line. Null when nothing of that line maps to a source.</summary>
    public OriginalPosition? Find(int line, int column)
    {
        if (line < 1 || line > _lines.Length)
        {
            return null;
        }
        var segments = _lines[line - 1];
        var target = column - 1;
        int lo = 0, hi = segments.Length - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (segments[mid].Column <= target)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        if (found < 0 || segments[found].Source < 0)
        {
            return null;
        }
        var s = segments[found];
        return new OriginalPosition(_sources[s.Source], s.Line + 1, s.OriginalColumn + 1, s.Name >= 0 ? _names[s.Name] : null, LineOf(s.Source, s.Line));
    }

    /// <summary>A line of an original source, when the map carries its content (bundlers write sourcesContent).</summary>
    private string? LineOf(int source, int line)
    {
        if (_contents[source] is not { } content)
        {
            return null;
        }
        if (!_splitContents.TryGetValue(source, out var lines))
        {
            lines = content.Split('\n');
            _splitContents[source] = lines;
        }
        return line < lines.Length ? lines[line].TrimEnd('\r') : null;
    }

    private static string?[] Strings(JsonElement root, string name) =>
        root.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : null).ToArray()
            : [];

    private static string Join(string root, string source) =>
        root.Length == 0 || source.Contains("://", StringComparison.Ordinal) || source.StartsWith('/') ? source : root.TrimEnd('/') + "/" + source;

    private static Segment[][] Decode(string mappings, int sourceCount, int nameCount)
    {
        var lines = new List<Segment[]>();
        var current = new List<Segment>();
        int source = 0, line = 0, originalColumn = 0, name = 0;
        var fields = new int[5];
        var i = 0;
        while (i <= mappings.Length)
        {
            if (i == mappings.Length || mappings[i] == ';')
            {
                current.Sort((a, b) => a.Column.CompareTo(b.Column));
                lines.Add([.. current]);
                current.Clear();
                i++;
                continue;
            }
            if (mappings[i] == ',')
            {
                i++;
                continue;
            }
            var count = 0;
            while (i < mappings.Length && mappings[i] is not (',' or ';'))
            {
                if (count == 5)
                {
                    throw new FormatException($"a segment of \"mappings\" has more than 5 fields (near character {i})");
                }
                fields[count++] = ReadVlq(mappings, ref i);
            }
            // Relative to the segment before on the line, in the order written (a line is sorted once it ends).
            var column = (current.Count > 0 ? current[^1].Column : 0) + fields[0];
            if (count == 1)
            {
                current.Add(new Segment(column, -1, 0, 0, -1));
                continue;
            }
            if (count is not (4 or 5))
            {
                throw new FormatException($"a segment of \"mappings\" has {count} fields; 1, 4 or 5 are valid (near character {i})");
            }
            source += fields[1];
            line += fields[2];
            originalColumn += fields[3];
            var nameIndex = -1;
            if (count == 5)
            {
                name += fields[4];
                nameIndex = name;
            }
            if (source < 0 || source >= sourceCount || line < 0 || originalColumn < 0 || nameIndex >= nameCount)
            {
                throw new FormatException($"a segment of \"mappings\" points outside the map's sources or names (near character {i})");
            }
            current.Add(new Segment(column, source, line, originalColumn, nameIndex));
        }
        return [.. lines];
    }

    /// <summary>One Base64 VLQ number: 5 bits a character, least significant group first, bit 6 says "more follows",
    /// the lowest bit of the whole is the sign.</summary>
    private static int ReadVlq(string text, ref int i)
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
                throw new FormatException($"\"mappings\" holds '{text[i - 1]}', which is not Base64 (character {i - 1})");
            }
            value |= (long)(digit & 31) << shift;
            if ((digit & 32) == 0)
            {
                break;
            }
            shift += 5;
            if (shift > 31)
            {
                throw new FormatException($"a number in \"mappings\" is too large (near character {i})");
            }
        }
        var magnitude = (int)(value >> 1);
        return (value & 1) == 1 ? -magnitude : magnitude;
    }

    private static int Base64(char c) => c switch
    {
        >= 'A' and <= 'Z' => c - 'A',
        >= 'a' and <= 'z' => c - 'a' + 26,
        >= '0' and <= '9' => c - '0' + 52,
        '+' => 62,
        '/' => 63,
        _ => -1,
    };
}

/// <summary>A position in an original source: its path as the map names it, 1-based line and column, the name the
/// map gives the token there, and that source line when the map carries the source.</summary>
internal sealed record OriginalPosition(string Source, int Line, int Column, string? Name, string? ContextLine);
