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

    [Theory]
    [InlineData("""{"version":2,"sources":[],"mappings":""}""", "not a version 3 source map")]
    [InlineData("""{"version":3,"sections":[]}""", "an index map")]
    [InlineData("""{"version":3,"sources":["a.js"],"names":[],"mappings":"AA!A"}""", "not Base64")]
    [InlineData("""{"version":3,"sources":["a.js"],"names":[],"mappings":"AC"}""", "2 fields")]
    [InlineData("""{"version":3,"sources":["a.js"],"names":[],"mappings":"ACAA"}""", "outside the map's sources")]
    [InlineData("""{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAAC"}""", "outside the map's sources or names")]
    [InlineData("""{"version":3,"sources":["a.js"],"names":[],"mappings":"Ag"}""", "ends inside a number")]
    [InlineData("not json", "not JSON")]
    public void A_broken_map_says_what_is_wrong(string json, string problem)
    {
        var read = () => Map(json);

        read.Should().Throw<FormatException>().WithMessage($"*{problem}*");
    }
}
