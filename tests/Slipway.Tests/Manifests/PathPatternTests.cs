using Slipway.Manifests;

namespace Slipway.Tests.Manifests;

public sealed class PathPatternTests
{
    private static PathPattern Compile(string source)
    {
        var pattern = PathPattern.TryCompile(source, out var error);
        error.Should().BeNull();
        return pattern!;
    }

    [Theory]
    [InlineData("/blog/:slug", "/blog/hello", "slug", "hello")]
    [InlineData("/blog/:slug", "/BLOG/hello/", "slug", "hello")]
    [InlineData("/api/:path*", "/api/a/b/c", "path", "a/b/c")]
    [InlineData("/api/:path*", "/api", "path", "")]
    [InlineData("/api/:path*", "/api/", "path", "")]
    [InlineData("/files/:path+", "/files/x/y", "path", "x/y")]
    [InlineData("/docs/:page?", "/docs", "page", "")]
    [InlineData("/docs/:page?", "/docs/intro", "page", "intro")]
    [InlineData("/user/:id(\\d+)", "/user/42", "id", "42")]
    [InlineData("/(.*)", "/anything/at/all", "1", "anything/at/all")]
    [InlineData("/(.*)", "/", "1", "")]
    [InlineData("/assets/(.*)\\.js", "/assets/app.1234.js", "1", "app.1234")]
    public void Matches_and_captures(string source, string path, string name, string value)
    {
        var match = Compile(source).Match(path);
        match.Should().NotBeNull();
        match!.Get(name).Should().Be(value);
    }

    [Theory]
    [InlineData("/blog/:slug", "/blog")]
    [InlineData("/blog/:slug", "/blog/a/b")]
    [InlineData("/files/:path+", "/files")]
    [InlineData("/user/:id(\\d+)", "/user/abc")]
    [InlineData("/api/:path*", "/apix")]
    [InlineData("/widget.js", "/widgetxjs")]
    [InlineData("/((?!api/).*)", "/api/users")]
    public void Does_not_match(string source, string path) =>
        Compile(source).Match(path).Should().BeNull();

    [Fact]
    public void Negative_lookahead_lets_everything_but_the_api_through() =>
        Compile("/((?!api/).*)").Match("/dashboard/x").Should().NotBeNull();

    [Theory]
    [InlineData("/api/:path*", "/api/v1/users", "https://backend.example.com/:path*", "https://backend.example.com/v1/users")]
    [InlineData("/old/:slug", "/old/post", "/new/:slug", "/new/post")]
    [InlineData("/(.*)", "/a/b", "/index.html?from=$1", "/index.html?from=a/b")]
    [InlineData("/old/:slug", "/old/x", "/new/:slug?ref=old", "/new/x?ref=old")]
    [InlineData("/p/:id", "/p/7", "http://localhost:8080/:id/:other", "http://localhost:8080/7/:other")]
    public void Substitutes_captures_into_destinations(string source, string path, string destination, string expected)
    {
        var pattern = Compile(source);
        PathPattern.Substitute(destination, pattern.Match(path)!).Should().Be(expected);
    }

    [Theory]
    [InlineData("api", "must start with")]
    [InlineData("/a/:", "parameter name")]
    [InlineData("/a/(b", "never closed")]
    [InlineData("/a/b)", "unmatched")]
    [InlineData("/a/()", "empty")]
    [InlineData("/:id/:id", "appears twice")]
    [InlineData("/a/([)", "not a valid pattern")]
    public void Bad_patterns_say_what_is_wrong(string source, string expected)
    {
        PathPattern.TryCompile(source, out var error).Should().BeNull();
        error.Should().Contain(expected);
    }
}
