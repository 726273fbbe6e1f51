using System.Text;
using Slipway.Errors.SourceMaps;

namespace Slipway.Tests.Errors.SourceMaps;

public sealed class SourceMapTests
{
    // The map the source-map library (mozilla/source-map) tests itself with: two sources, names, a source root.
    internal const string TestMap = """
        {"version":3,"file":"min.js","names":["bar","baz","n"],"sources":["one.js","two.js"],"sourceRoot":"/the/root",
         "sourcesContent":[" ONE.foo = function (bar) {\n   return baz(bar);\n };"," TWO.inc = function (n) {\n   return n + 1;\n };"],
         "mappings":"CAAC,IAAI,IAAM,SAAUA,GAClB,OAAOC,IAAID;CCDb,IAAI,IAAM,SAAUE,GAClB,OAAOA"}
        """;

    private static SourceMap Map(string json = TestMap) => SourceMap.Parse(Encoding.UTF8.GetBytes(json));

    [Theory]
    // Generated line and 1-based column -> original source, line, 1-based column, name (the library's own expectations,
    // its 0-based columns plus one).
    [InlineData(1, 2, "/the/root/one.js", 1, 2, null)]
    [InlineData(1, 6, "/the/root/one.js", 1, 6, null)]
    [InlineData(1, 10, "/the/root/one.js", 1, 12, null)]
    [InlineData(1, 19, "/the/root/one.js", 1, 22, "bar")]
    [InlineData(1, 22, "/the/root/one.js", 2, 4, null)]
    [InlineData(1, 29, "/the/root/one.js", 2, 11, "baz")]
    [InlineData(1, 33, "/the/root/one.js", 2, 15, "bar")]
    [InlineData(2, 2, "/the/root/two.js", 1, 2, null)]
    [InlineData(2, 19, "/the/root/two.js", 1, 22, "n")]
    [InlineData(2, 29, "/the/root/two.js", 2, 11, "n")]
    public void A_position_maps_to_where_the_library_says(int line, int column, string source, int originalLine, int originalColumn, string? name)
    {
        var found = Map().Find(line, column);

        found.Should().NotBeNull();
        (found!.Source, found.Line, found.Column, found.Name).Should().Be((source, originalLine, originalColumn, name));
    }

    [Fact]
    public void A_column_between_segments_takes_the_segment_before_it_and_the_source_line_comes_with_it()
    {
        var found = Map().Find(1, 21)!;

        (found.Line, found.Column, found.Name).Should().Be((1, 22, "bar"), "columns 19 and 20 are still the token that starts at 19");
        found.ContextLine.Should().Be(" ONE.foo = function (bar) {");
        Map().Find(2, 30)!.ContextLine.Should().Be("   return n + 1;");
    }

    [Fact]
    public void Positions_before_the_first_segment_or_on_lines_past_the_end_map_to_nothing()
    {
        Map().Find(1, 1).Should().BeNull("the first segment starts at column 2");
        Map().Find(3, 1).Should().BeNull();
        Map().Find(0, 5).Should().BeNull();
    }

    [Fact]
    public void Segments_written_out_of_order_are_found_by_their_column()
    {
        // "IAAI,HAAH": column 4 (source column 4), then 3 columns back (H is -3): column 1 (source column 1).
        var map = Map("""{"version":3,"sources":["a.js"],"names":[],"mappings":"IAAI,HAAH"}""");

        map.Find(1, 5)!.Column.Should().Be(5);
        map.Find(1, 2)!.Column.Should().Be(2, "the second segment is 3 columns back: column 1, source column 1");
    }

    [Fact]
    public void An_index_maps_sections_each_count_from_their_offset()
    {
        // Turbopack's chunks: one line, a section for each module from its column on.
        var map = Map("""
            {"version":3,"sources":[],"sections":[
              {"offset":{"line":0,"column":0},"map":{"version":3,"sources":["runtime.js"],"names":[],"mappings":"AAAA"}},
              {"offset":{"line":0,"column":135},"map":{"version":3,"sources":["app/boom.js"],"sourcesContent":["a\nthrow b"],"names":["boom"],"mappings":"AAAA,EACAA"}}
            ]}
            """);

        map.Find(1, 100)!.Source.Should().Be("runtime.js");
        map.Find(1, 136)!.Source.Should().Be("app/boom.js");
        var thrown = map.Find(1, 138)!;
        (thrown.Source, thrown.Line, thrown.Column, thrown.Name, thrown.ContextLine).Should().Be(("app/boom.js", 2, 1, "boom", "throw b"));
    }

    [Theory]
    [InlineData(1, 3000, true)] // a minified bundle: one long line in column order
    [InlineData(2, 3000, false)] // one long line out of order
    [InlineData(3, 5, true)] // many short lines, across many checkpoints
    public void Every_position_maps_as_a_plain_decoding_of_every_segment_says(int seed, int segmentsPerLine, bool inOrder)
    {
        var random = new Random(seed);
        var lines = segmentsPerLine > 100 ? 2 : 300;
        var (sources, names) = (4, 7);
        var text = new StringBuilder();
        var expected = new List<List<(int Column, int Source, int Line, int OriginalColumn, int Name)>>();
        int source = 0, line = 0, originalColumn = 0, name = 0;
        for (var l = 0; l < lines; l++)
        {
            if (l > 0)
            {
                text.Append(';');
            }
            var row = new List<(int, int, int, int, int)>();
            var column = 0;
            for (var k = 0; k < segmentsPerLine; k++)
            {
                var step = inOrder ? random.Next(0, 4) : random.Next(-3, 6);
                if (column + step < 0)
                {
                    step = -column;
                }
                var (ds, dl, dc) = (random.Next(-source, sources - source), random.Next(-Math.Min(line, 2), 3), random.Next(-originalColumn, 5));
                var withName = random.Next(3) == 0;
                var dn = withName ? random.Next(-name, names - name) : 0;
                text.Append(k > 0 ? "," : "").Append(Vlq(step)).Append(Vlq(ds)).Append(Vlq(dl)).Append(Vlq(dc));
                (column, source, line, originalColumn) = (column + step, source + ds, line + dl, originalColumn + dc);
                if (withName)
                {
                    text.Append(Vlq(dn));
                    name += dn;
                }
                row.Add((column, source, line, originalColumn, withName ? name : -1));
            }
            expected.Add(row);
        }
        var map = Map($$"""{"version":3,"sources":["a.js","b.js","c.js","d.js"],"names":["n0","n1","n2","n3","n4","n5","n6"],"mappings":"{{text}}"}""");

        for (var probe = 0; probe < 2000; probe++)
        {
            var l = random.Next(lines);
            var target = random.Next(0, expected[l].Max(s => s.Column) + 3);
            var want = expected[l].Select((s, i) => (s, i)).Where(x => x.s.Column <= target).OrderBy(x => x.s.Column).ThenBy(x => x.i).Select(x => ((int, int, int, int, int)?)x.s).LastOrDefault();
            var found = map.Find(l + 1, target + 1);
            if (want is not { } w)
            {
                found.Should().BeNull();
                continue;
            }
            (found!.Source, found.Line, found.Column, found.Name).Should().Be(($"{"abcd"[w.Item2]}.js", w.Item3 + 1, w.Item4 + 1, w.Item5 >= 0 ? $"n{w.Item5}" : null),
                $"line {l + 1}, column {target + 1}");
        }
    }

    private static string Vlq(int value)
    {
        const string Digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        var v = value < 0 ? (-value << 1) | 1 : value << 1;
        var text = new StringBuilder();
        do
        {
            var digit = v & 31;
            v >>= 5;
            text.Append(Digits[v > 0 ? digit | 32 : digit]);
        }
        while (v > 0);
        return text.ToString();
    }

    [Fact]
    public void Of_two_segments_at_one_column_the_one_written_last_wins()
    {
        // Column 0 to source column 0, then column 0 again (A) to source column 2 (E).
        Map("""{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA,AAAE"}""").Find(1, 1)!.Column.Should().Be(3);
    }

    [Fact]
    public void The_largest_number_a_map_may_hold_is_read_whole()
    {
        // 2^31 - 1 as a generated column: 7 digits, the most a number may take.
        var read = () => Map("""{"version":3,"sources":["a.js"],"names":[],"mappings":"+/////D"}""");

        read.Should().NotThrow();
    }

    [Fact]
    public void Lines_far_past_a_checkpoint_keep_the_fields_carried_from_every_line_before()
    {
        // 200 lines, each one segment one source line further down (AACA): line N maps to source line N.
        var mappings = "AAAA" + string.Concat(Enumerable.Repeat(";AACA", 199));
        var map = Map($$"""{"version":3,"sources":["a.js"],"sourcesContent":["{{string.Join("\\n", Enumerable.Range(1, 200).Select(i => $"line {i}"))}}"],"names":[],"mappings":"{{mappings}}"}""");

        foreach (var line in new[] { 1, SourceMap.CheckpointEvery, SourceMap.CheckpointEvery + 1, 137, 200 })
        {
            var found = map.Find(line, 1)!;
            found.Line.Should().Be(line);
            found.ContextLine.Should().Be($"line {line}");
        }
        map.Find(201, 1).Should().BeNull();
        map.Size.Should().BeLessThan(3 * Encoding.UTF8.GetByteCount(mappings) + 4096, "a read map takes about its own size");
    }

    [Fact]
    public void Escaped_mappings_and_sources_content_are_read_as_their_text()
    {
        var map = Map("""{"version":3,"sources":["a.js"],"sourcesContent":["const a = \"\u00e9\";\r\nthrow a"],"names":[],"mappings":"AAAA;A\u0041CA"}""");

        map.Find(2, 1)!.ContextLine.Should().Be("throw a");
        map.Find(1, 1)!.ContextLine.Should().Be("const a = \"é\";");
    }

    [Theory]
    [InlineData("""{"version":2,"sources":[],"mappings":""}""", "not a version 3 source map")]
    [InlineData("""{"version":3,"sections":[{"map":{"version":3,"sources":[],"mappings":""}}]}""", "section 0 has no offset")]
    [InlineData("""{"version":3,"sections":[{"offset":{"line":0,"column":0},"map":{"version":3,"sources":["a.js"],"mappings":"ACAA"}}]}""", "section 0: a segment")]
    [InlineData("""{"version":3,"sources":["a.js"],"names":[],"mappings":"AA!A"}""", "not Base64")]
    [InlineData("""{"version":3,"sources":["a.js"],"names":[],"mappings":"AC"}""", "2 fields")]
    [InlineData("""{"version":3,"sources":["a.js"],"names":[],"mappings":"ACAA"}""", "outside the map's sources")]
    [InlineData("""{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAAC"}""", "outside the map's names")]
    [InlineData("""{"version":3,"sources":["a.js"],"names":["x"],"mappings":"AAAAD"}""", "outside the map's names")]
    [InlineData("""{"version":3,"sources":["a.js"],"names":[],"mappings":"D"}""", "generated column below 0")]
    [InlineData("""{"version":3,"sources":["a.js"],"names":[],"mappings":"B"}""", "generated column below 0")] // "minus zero" is -2^31
    [InlineData("""{"version":3,"sources":["a.js"],"names":[],"mappings":"ggggggE"}""", "2^31 or more")] // 2^31 exactly
    [InlineData("""{"version":3,"sources":["a.js"],"names":[],"mappings":"gggggggA"}""", "too many digits")]
    [InlineData("""{"version":3,"sources":["a.js"],"names":[],"mappings":"Ag"}""", "ends inside a number")]
    [InlineData("not json", "not JSON")]
    public void A_broken_map_says_what_is_wrong(string json, string problem)
    {
        var read = () => Map(json);

        read.Should().Throw<FormatException>().WithMessage($"*{problem}*");
    }
}
