using System.Net;
using Slipway.Edge;
using Slipway.Tests.Support;

namespace Slipway.Tests.Edge;

public sealed class StaticSiteTests : IAsyncLifetime
{
    private readonly string _dir = TempDirs.Create("static");
    private readonly string _secret = "TOP-SECRET-" + Guid.NewGuid().ToString("N");
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
    private LoopbackServer? _spa;
    private LoopbackServer? _plain;

    private string Root => Path.Combine(_dir, "site");

    public async Task InitializeAsync()
    {
        // The secret sits one directory above the site root: no request may ever reach it.
        File.WriteAllText(Path.Combine(_dir, "secret.txt"), _secret);
        Write("index.html", "<h1>home</h1>");
        Write("app.js", "console.log('app')");
        Write("style.css", "body{}");
        Write("logo.svg", "<svg/>");
        Write("data.json", "{}");
        Write("blob.xyz", "???");
        Write("hello.txt", "hello");
        Write(".env", "SECRET=" + _secret);
        Write("assets/main.js", "main()");
        Write("docs/index.html", "<h1>docs</h1>");
        // Links a build may leave behind: one inside the root (fine) and two out of it (never followed).
        File.CreateSymbolicLink(Path.Combine(Root, "readme.txt"), "hello.txt");
        File.CreateSymbolicLink(Path.Combine(Root, "leak.txt"), Path.Combine(_dir, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "up"), _dir);
        // Link loops the kernel resolves (p) and ones it refuses (loop): neither may crash the edge.
        Directory.CreateDirectory(Path.Combine(Root, "sub", "deep"));
        File.WriteAllText(Path.Combine(Root, "sub", "q"), "q");
        File.CreateSymbolicLink(Path.Combine(Root, "loop"), "loop2");
        File.CreateSymbolicLink(Path.Combine(Root, "loop2"), "loop");
        File.CreateSymbolicLink(Path.Combine(Root, "dl"), "sub/deep");
        File.CreateSymbolicLink(Path.Combine(Root, "p"), "dl/../q");
        _spa = await Serve(new StaticSite(Root, spa: true, _dir));
        _plain = await Serve(new StaticSite(Root, spa: false, _dir));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_spa is not null)
        {
            await _spa.DisposeAsync();
        }
        if (_plain is not null)
        {
            await _plain.DisposeAsync();
        }
        TempDirs.Delete(_dir);
    }

    [Theory]
    [InlineData("/", "text/html")]
    [InlineData("/index.html", "text/html")]
    [InlineData("/app.js", "text/javascript")]
    [InlineData("/style.css", "text/css")]
    [InlineData("/logo.svg", "image/svg+xml")]
    [InlineData("/data.json", "application/json")]
    [InlineData("/hello.txt", "text/plain")]
    [InlineData("/blob.xyz", "application/octet-stream")]
    public async Task Files_are_served_with_the_content_type_of_their_extension(string path, string contentType)
    {
        using var response = await _http.GetAsync(Url(_spa!, path));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be(contentType);
    }

    [Fact]
    public async Task A_file_is_served_whole_with_its_length()
    {
        using var response = await _http.GetAsync(Url(_spa!, "/assets/main.js"));

        (await response.Content.ReadAsStringAsync()).Should().Be("main()");
        response.Content.Headers.ContentLength.Should().Be(6);
        response.Headers.CacheControl!.MustRevalidate.Should().BeTrue("a file without a fingerprint in its name may change");
        response.Headers.CacheControl.MaxAge.Should().Be(TimeSpan.Zero);
        response.Headers.ETag.Should().NotBeNull();
    }

    [Theory]
    [InlineData("/docs")]
    [InlineData("/docs/")]
    public async Task A_directory_serves_its_index_html(string path)
    {
        using var response = await _http.GetAsync(Url(_plain!, path));

        (await response.Content.ReadAsStringAsync()).Should().Be("<h1>docs</h1>");
    }

    [Theory]
    [InlineData("/about")]
    [InlineData("/users/42")]
    [InlineData("/users/42/")]
    public async Task Spa_mode_answers_client_routes_with_the_root_index_html(string path)
    {
        using var response = await _http.GetAsync(Url(_spa!, path));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be("<h1>home</h1>");
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        response.Headers.CacheControl!.NoCache.Should().BeTrue("index.html must be revalidated so a deploy shows up at once");
    }

    [Theory]
    [InlineData("/assets/missing.js")]
    [InlineData("/missing.css")]
    [InlineData("/users/42/avatar.png")]
    public async Task Spa_mode_answers_a_missing_asset_with_404_not_index_html(string path)
    {
        using var response = await _http.GetAsync(Url(_spa!, path));

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).Should().NotContain("<h1>home</h1>");
    }

    [Fact]
    public async Task Without_spa_mode_a_client_route_is_404()
    {
        using var response = await _http.GetAsync(Url(_plain!, "/about"));

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Hidden_files_are_never_served()
    {
        using var response = await _http.GetAsync(Url(_spa!, "/.env"));

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).Should().NotContain(_secret);
    }

    [Fact]
    public async Task A_symlink_inside_the_root_is_served_with_its_targets_length()
    {
        using var response = await _http.GetAsync(Url(_spa!, "/readme.txt"));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be("hello");
    }

    [Theory]
    [InlineData("/leak.txt")]
    [InlineData("/up/secret.txt")]
    public async Task A_symlink_out_of_the_root_is_never_followed(string path)
    {
        using var response = await _http.GetAsync(Url(_spa!, path));

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).Should().NotContain(_secret);
    }

    [Theory]
    [InlineData("/loop")]
    [InlineData("/p")]
    public async Task Symlink_loops_and_dot_dot_after_a_linked_directory_are_answered_without_harm(string path)
    {
        using var response = await _http.GetAsync(Url(_plain!, path));

        // "/p" is sub/q for the kernel ("dl/.." is "sub"), which is inside the root; "/loop" does not resolve.
        ((int)response.StatusCode).Should().BeOneOf(200, 404);
        using var alive = await _http.GetAsync(Url(_plain!, "/hello.txt"));
        alive.StatusCode.Should().Be(HttpStatusCode.OK, "the edge is still up");
    }

    [Fact]
    public async Task An_output_directory_that_is_itself_a_link_out_of_the_build_serves_nothing()
    {
        var escape = Path.Combine(_dir, "escape");
        Directory.CreateSymbolicLink(escape, "/etc");
        await using var server = await Serve(new StaticSite(escape, spa: false, Root));

        using var response = await _http.GetAsync(Url(server, "/hostname"));

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_file_in_the_root_is_readable_over_raw_http()
    {
        // The control for the traversal cases: the raw client does see a file's content when it is served.
        var response = await RawHttp.SendAsync(_spa!.Port, "GET /hello.txt HTTP/1.1", "Host: site");

        response.Status.Should().Be(200);
        response.Body.Should().Be("hello");
    }

    [Theory]
    [InlineData("/../secret.txt")]
    [InlineData("/%2e%2e/secret.txt")]
    [InlineData("/%2E%2E/secret.txt")]
    [InlineData("/..%2fsecret.txt")]
    [InlineData("/%2e%2e%2fsecret.txt")]
    [InlineData("/..\\secret.txt")]
    [InlineData("/..%5csecret.txt")]
    [InlineData("/%2e%2e%5csecret.txt")]
    [InlineData("/%c0%ae%c0%ae/secret.txt")]
    [InlineData("/%c0%ae%c0%ae%c0%afsecret.txt")]
    [InlineData("/%252e%252e/secret.txt")]
    [InlineData("/assets/../../secret.txt")]
    [InlineData("/./../secret.txt")]
    [InlineData("//../secret.txt")]
    [InlineData("/..;/secret.txt")]
    [InlineData("/.../secret.txt")]
    [InlineData("/..%00/secret.txt")]
    [InlineData("http://site/../secret.txt")]
    public async Task Traversal_attempts_never_escape_the_root(string target)
    {
        foreach (var server in new[] { _spa!, _plain! })
        {
            var response = await RawHttp.SendAsync(server.Port, $"GET {target} HTTP/1.1", "Host: site");

            response.Text.Should().NotContain(_secret);
            response.Status.Should().NotBe(200, $"{target} must not resolve to a file outside the root");
        }
    }

    [Fact]
    public async Task An_absolute_path_to_a_file_outside_the_root_is_not_served()
    {
        var response = await RawHttp.SendAsync(_spa!.Port, $"GET /{Path.Combine(_dir, "secret.txt")} HTTP/1.1", "Host: site");

        response.Text.Should().NotContain(_secret);
    }

    [Fact]
    public async Task Head_gives_the_headers_of_get_with_no_body()
    {
        var response = await RawHttp.SendAsync(_spa!.Port, "HEAD /app.js HTTP/1.1", "Host: site");

        response.Status.Should().Be(200);
        response.Header("Content-Length").Should().Be("18");
        response.Header("Content-Type").Should().Contain("javascript");
        response.Body.Should().BeEmpty();
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task Other_methods_are_405_with_allow(string method)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), Url(_spa!, "/index.html"))
        {
            Content = new StringContent("x"),
        };
        using var response = await _http.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
        response.Content.Headers.Allow.Should().BeEquivalentTo("GET", "HEAD");
    }

    private void Write(string relative, string content)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private static Task<LoopbackServer> Serve(StaticSite site) =>
        LoopbackServer.StartAsync(context => site.ServeAsync(context, context.Request.Path.Value ?? "/"));

    private static string Url(LoopbackServer server, string path) => $"http://127.0.0.1:{server.Port}{path}";
}
