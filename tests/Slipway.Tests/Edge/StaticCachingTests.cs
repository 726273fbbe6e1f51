using System.Net;
using System.Net.Http.Headers;
using Slipway.Edge;
using Slipway.Tests.Support;

namespace Slipway.Tests.Edge;

/// <summary>How a static site is cached and fetched in parts: ETag and Last-Modified with 304s, ranges with
/// 206, a year of immutable caching for fingerprinted assets only, and clean URLs.</summary>
public sealed class StaticCachingTests : IAsyncLifetime
{
    private readonly string _dir = TempDirs.Create("static-cache");
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
    private LoopbackServer _server = null!;

    public async Task InitializeAsync()
    {
        Write("index.html", "<h1>home</h1>");
        Write("about.html", "<h1>about</h1>");
        Write("assets/index-BkXq3x9a.js", "console.log('hashed')");
        Write("main.3f2a1b4c.css", "body{}");
        Write("video.bin", new string('0', 1000) + new string('1', 1000));
        Write("readme.txt", "plain");
        var site = new StaticSite(_dir, spa: true, _dir);
        _server = await LoopbackServer.StartAsync(context => site.ServeAsync(context, context.Request.Path.Value ?? "/", cleanUrls: true));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        TempDirs.Delete(_dir);
    }

    [Fact]
    public async Task A_repeated_request_with_the_etag_or_date_gets_304_without_a_body()
    {
        using var first = await _http.GetAsync(Url("/readme.txt"));
        var etag = first.Headers.ETag!;
        var modified = first.Content.Headers.LastModified!.Value;

        using var byEtag = await SendAsync("/readme.txt", r => r.Headers.IfNoneMatch.Add(etag));
        using var byDate = await SendAsync("/readme.txt", r => r.Headers.IfModifiedSince = modified);
        File.WriteAllText(Path.Combine(_dir, "readme.txt"), "changed");
        File.SetLastWriteTimeUtc(Path.Combine(_dir, "readme.txt"), DateTime.UtcNow.AddMinutes(1));
        using var afterChange = await SendAsync("/readme.txt", r => r.Headers.IfNoneMatch.Add(etag));

        byEtag.StatusCode.Should().Be(HttpStatusCode.NotModified);
        (await byEtag.Content.ReadAsByteArrayAsync()).Should().BeEmpty();
        byDate.StatusCode.Should().Be(HttpStatusCode.NotModified);
        afterChange.StatusCode.Should().Be(HttpStatusCode.OK);
        (await afterChange.Content.ReadAsStringAsync()).Should().Be("changed");
    }

    [Fact]
    public async Task A_range_request_gets_206_with_just_those_bytes()
    {
        using var middle = await SendAsync("/video.bin", r => r.Headers.Range = new RangeHeaderValue(995, 1004));
        using var outside = await SendAsync("/video.bin", r => r.Headers.Range = new RangeHeaderValue(5000, 6000));

        middle.StatusCode.Should().Be(HttpStatusCode.PartialContent);
        (await middle.Content.ReadAsStringAsync()).Should().Be("0000011111");
        middle.Content.Headers.ContentRange!.ToString().Should().Be("bytes 995-1004/2000");
        outside.StatusCode.Should().Be(HttpStatusCode.RequestedRangeNotSatisfiable);
    }

    [Theory]
    [InlineData("/assets/index-BkXq3x9a.js", true)]
    [InlineData("/main.3f2a1b4c.css", true)]
    [InlineData("/readme.txt", false)]
    [InlineData("/", false)]
    public async Task Only_fingerprinted_assets_are_cached_as_immutable(string path, bool immutable)
    {
        using var response = await _http.GetAsync(Url(path));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var cache = response.Headers.CacheControl!.ToString();
        if (immutable)
        {
            cache.Should().Contain("immutable").And.Contain("max-age=31536000");
        }
        else
        {
            cache.Should().NotContain("immutable");
        }
    }

    [Fact]
    public async Task Clean_urls_serve_the_html_file_without_its_extension()
    {
        var body = await _http.GetStringAsync(Url("/about"));

        body.Should().Be("<h1>about</h1>");
    }

    private async Task<HttpResponseMessage> SendAsync(string path, Action<HttpRequestMessage> configure)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, Url(path));
        configure(request);
        return await _http.SendAsync(request);
    }

    private void Write(string relative, string content)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private string Url(string path) => $"http://127.0.0.1:{_server.Port}{path}";
}
