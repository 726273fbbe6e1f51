using Slipway.Errors;
using Slipway.Errors.SourceMaps;
using Slipway.Tests.Support;

namespace Slipway.Tests.Errors.SourceMaps;

public sealed class SymbolicatorTests
{
    [Fact]
    public void Frames_a_map_covers_show_the_original_source_and_take_their_name_from_the_call_that_reached_them()
    {
        var data = TempDirs.Create("symbolicate");
        var kept = Path.Combine(data, "source-maps", "shop", "r1", "dist", "assets");
        Directory.CreateDirectory(kept);
        File.WriteAllText(Path.Combine(kept, "min.js.map"), SourceMapTests.TestMap);
        var lookup = new SourceMapStore(new Slipway.Errors.ErrorsOptions(data)).For("shop", "r1");
        var frames = new List<StackFrame>
        {
            new("vendor.js", "https://shop.example.com/assets/vendor.js", "r", null, 1, 50, true),
            // Oldest first: the caller's call site is the token "baz", which names the function called next.
            new("min.js", "https://shop.example.com/assets/min.js", "a", null, 1, 29, true),
            new("min.js", "https://shop.example.com/assets/min.js", "b", null, 1, 19, true),
        };

        var result = Symbolicator.Apply([new ExceptionInfo("TypeError", "x", null, frames, false)], lookup).Single().Frames;

        result[0].Should().Be(frames[0], "no map covers vendor.js: the frame stays as sent");
        (result[1].Filename, result[1].Line, result[1].Column, result[1].Function).Should().Be(("/the/root/one.js", 2, 11, "a"),
            "the first mapped frame has no mapped caller: its own name stays");
        (result[2].Filename, result[2].Line, result[2].Column, result[2].Function).Should().Be(("/the/root/one.js", 1, 22, "baz"));
        result[2].ContextLine.Should().Be(" ONE.foo = function (bar) {");
        result[2].Minified.Should().Be("min.js:1:19");
        result[2].InApp.Should().BeTrue();
    }

    [Theory]
    [InlineData("../../src/App.tsx", "src/App.tsx")]
    [InlineData("webpack://_N_E/./src/app/page.tsx", "src/app/page.tsx")]
    [InlineData("turbopack:///[project]/app/boom.js", "app/boom.js")]
    [InlineData("./src/main.ts", "src/main.ts")]
    [InlineData("/the/root/one.js", "/the/root/one.js")]
    public void Sources_are_shown_as_paths_in_the_project(string source, string shown)
    {
        Symbolicator.Clean(source).Should().Be(shown);
    }
}
