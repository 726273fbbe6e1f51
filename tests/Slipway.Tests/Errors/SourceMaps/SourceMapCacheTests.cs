using Slipway.Errors;
using Slipway.Errors.SourceMaps;
using Slipway.Tests.Support;

namespace Slipway.Tests.Errors.SourceMaps;

public sealed class SourceMapCacheTests
{
    [Fact]
    public void A_map_is_read_once_read_again_when_rewritten_and_the_least_recently_used_goes_past_the_budget()
    {
        var dir = TempDirs.Create("map-cache");
        var (a, b) = (Path.Combine(dir, "a.js.map"), Path.Combine(dir, "b.js.map"));
        File.WriteAllText(a, SourceMapTests.TestMap);
        File.WriteAllText(b, SourceMapTests.TestMap);
        var size = SourceMap.Parse(File.ReadAllBytes(a)).Size;
        var cache = new SourceMapCache(budget: size + size / 2);

        var first = cache.Get(a, long.MaxValue);
        first.Map.Should().NotBeNull();
        first.Read.Should().Be(new FileInfo(a).Length);
        cache.Get(a, long.MaxValue).Should().Be((first.Map, null, 0L), "kept: the same map, nothing read");

        File.WriteAllText(a, SourceMapTests.TestMap + " ");
        cache.Get(a, long.MaxValue).Map.Should().NotBeSameAs(first.Map, "a rewritten map is read again");

        cache.Get(b, long.MaxValue).Read.Should().BeGreaterThan(0);
        cache.Held.Count.Should().Be(1, "two maps do not fit the budget: the older one went");
        cache.Get(a, long.MaxValue).Read.Should().BeGreaterThan(0, "it was let go");
    }

    [Fact]
    public void A_map_that_cannot_be_used_says_why_and_an_events_reads_are_bounded()
    {
        var data = TempDirs.Create("map-problems");
        var kept = Path.Combine(data, "source-maps", "shop", "r1", "dist");
        Directory.CreateDirectory(kept);
        File.WriteAllText(Path.Combine(kept, "bad.js.map"), "{ not json");
        File.WriteAllText(Path.Combine(kept, "good.js.map"), SourceMapTests.TestMap);
        var lookup = new SourceMapStore(new ErrorsOptions(data)).For("shop", "r1");

        lookup.Find("https://shop.example.com/bad.js", 1, 1).Should().BeNull();
        lookup.Find("https://shop.example.com/bad.js", 1, 2).Should().BeNull();
        lookup.Find("https://shop.example.com/good.js", 1, 19).Should().NotBeNull();

        lookup.Problems.Should().ContainSingle().Which.Should().StartWith("dist/bad.js.map: not JSON");
        lookup.Find("chrome-extension://abcdef/good.js", 1, 19).Should().BeNull("an extension's script is not the app's, whatever its name");
        new SourceMapCache().Get(Path.Combine(kept, "good.js.map"), allowance: 10).Problem
            .Should().Be("not read: this event's frames needed too many other maps");
    }

    [Fact]
    public void A_pair_leads_only_to_a_map_of_its_own_release()
    {
        var data = TempDirs.Create("map-pairs");
        var release = Path.Combine(data, "source-maps", "shop", "r1");
        var other = Path.Combine(data, "source-maps", "victim", "r9");
        Directory.CreateDirectory(release);
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "app.js.map"), SourceMapTests.TestMap);
        File.WriteAllText(Path.Combine(release, "own.js.map"), SourceMapTests.TestMap);
        File.WriteAllLines(Path.Combine(release, SourceMapStore.PairsFile),
            [$"x.js\t{Path.Combine(other, "app.js.map")}", "y.js\t../../victim/r9/app.js.map", "z.js\town.js.map"]);
        var lookup = new SourceMapStore(new ErrorsOptions(data)).For("shop", "r1");

        lookup.Find("https://shop.example.com/x.js", 1, 19).Should().BeNull("an absolute path is not a map of the release");
        lookup.Find("https://shop.example.com/y.js", 1, 19).Should().BeNull("nor one outside its directory");
        lookup.Find("https://shop.example.com/z.js", 1, 19).Should().NotBeNull();
    }

    [Fact]
    public void Pruning_keeps_the_releases_in_use_the_fresh_ones_and_the_newest_and_lets_the_rest_go()
    {
        var data = TempDirs.Create("map-prune");
        var app = Path.Combine(data, "source-maps", "shop");
        var old = DateTime.UtcNow.AddDays(-3);
        for (var i = 0; i < SourceMapStore.KeptReleases + 5; i++)
        {
            var release = Path.Combine(app, $"r{i:00}");
            Directory.CreateDirectory(release);
            File.WriteAllText(Path.Combine(release, "a.js.map"), "{}");
            // r00 is the oldest; the last one was written a moment ago (a build collecting its maps).
            Directory.SetLastWriteTimeUtc(release, i == SourceMapStore.KeptReleases + 4 ? DateTime.UtcNow : old.AddMinutes(i));
        }
        Directory.SetLastWriteTimeUtc(Path.Combine(app, "r23"), old.AddDays(-1));

        new SourceMapStore(new ErrorsOptions(data)).Prune(name => name == "shop" ? new HashSet<string> { "r00" } : new HashSet<string>());

        var left = Directory.GetDirectories(app).Select(Path.GetFileName).Order().ToList();
        left.Should().Contain("r00", "production still serves it, however many previews were built since");
        left.Should().Contain("r24", "written within the hour");
        left.Should().NotContain(["r01", "r02", "r03", "r23"]);
        left.Should().HaveCount(SourceMapStore.KeptReleases + 1);
    }
}
