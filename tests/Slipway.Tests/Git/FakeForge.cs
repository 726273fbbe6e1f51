using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Slipway.Git;
using Slipway.Tests.Builds;
using Slipway.Tests.Support;

namespace Slipway.Tests.Git;

/// <summary>A forge's git server: a bare repository served by `git http-backend` over HTTP on loopback, reading only
/// with the token (as a private GitHub repository), recording the Authorization headers it was sent; and under /api/v3
/// GitHub's REST API for statuses and comments, recording every call (answering 503 while <see cref="ApiDown"/> > 0).</summary>
internal sealed class FakeForge : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeForge(WebApplication app, string root, int port)
    {
        _app = app;
        RepoDir = Path.Combine(root, "acme", "shop.git");
        RepoUrl = $"http://127.0.0.1:{port}/acme/shop.git";
        ForkDir = Path.Combine(root, "fork", "shop.git");
        ForkUrl = $"http://127.0.0.1:{port}/fork/shop.git";
        ApiUrl = $"http://127.0.0.1:{port}/api/v3";
    }

    /// <summary>Where the forge's REST API is (as GitHub Enterprise serves it).</summary>
    public string ApiUrl { get; }

    /// <summary>The REST calls the forge took, in order (the ones answered 503 are not in it).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<ApiCall> ApiCalls { get; } = [];

    /// <summary>How many REST calls to answer 503 still.</summary>
    public int ApiDown;

    /// <summary>How many REST calls were answered 503.</summary>
    public int ApiRefused;

    private int _commentIds = 1000;

    /// <summary>A contributor's public fork: read without credentials.</summary>
    public string ForkDir { get; }

    public string ForkUrl { get; }

    public string RepoDir { get; }

    public string RepoUrl { get; }

    public System.Collections.Concurrent.ConcurrentBag<string> Authorizations { get; } = [];

    public static async Task<FakeForge> StartAsync(string token)
    {
        var root = TempDirs.Create("forge");
        new GitRepo(root).Git("init", "--quiet", "--bare", "-b", "main", Path.Combine("acme", "shop.git"));
        new GitRepo(root).Git("init", "--quiet", "--bare", "-b", "main", Path.Combine("fork", "shop.git"));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        FakeForge? forge = null;
        var backend = new GitHttpBackend(new GitOptions(root, Path.Combine(root, "run")), NullLogger<GitHttpBackend>.Instance);
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("x-access-token:" + token));
        app.Run(async context =>
        {
            if (context.Request.Path.StartsWithSegments("/api/v3"))
            {
                await forge!.AnswerApiAsync(context, token);
                return;
            }
            var authorization = context.Request.Headers.Authorization.ToString();
            var isFork = context.Request.Path.StartsWithSegments("/fork");
            if (isFork && authorization.Length > 0)
            {
                forge!.Authorizations.Add("to the fork: " + authorization);
            }
            if (!isFork && authorization != expected)
            {
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"forge\"";
                return;
            }
            if (!isFork)
            {
                forge!.Authorizations.Add(authorization);
            }
            var request = new CgiRequest(context.Request.Method, context.Request.Path.Value!, context.Request.QueryString.Value ?? "",
                context.Request.ContentType, context.Request.ContentLength, context.Request.Headers.ContentEncoding.FirstOrDefault(),
                context.Request.Headers["Git-Protocol"].FirstOrDefault(), "reader", "127.0.0.1");
            await backend.RunAsync(request, context.Request.Body, head =>
            {
                context.Response.StatusCode = head.Status;
                foreach (var (name, value) in head.Headers)
                {
                    context.Response.Headers[name] = value;
                }
                return context.Response.Body;
            }, new Dictionary<string, string>(), new Dictionary<string, string>(), context.RequestAborted);
        });
        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;
        forge = new FakeForge(app, root, port);
        return forge;
    }

    /// <summary>`slipway git connect APP --forge github --repo URL --token-stdin --json`, the token piped in.</summary>
    public async Task<CliResult> ConnectAsync(TestPlatform platform, string app, string token)
    {
        var connect = await platform.CliWithInputAsync(token + "\n", "git", "connect", app, "--forge", "github", "--repo", RepoUrl, "--api-url", ApiUrl,
            "--token-stdin", "--json");
        connect.ExitCode.Should().Be(0, connect.ToString());
        return connect;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>The calls of <paramref name="method"/> whose path ends with <paramref name="pathEnd"/>, their JSON bodies.</summary>
    public List<System.Text.Json.Nodes.JsonObject> Calls(string method, string pathEnd) => ApiCalls
        .Where(c => c.Method == method && c.Path.EndsWith(pathEnd, StringComparison.Ordinal))
        .Select(c => System.Text.Json.Nodes.JsonNode.Parse(c.Body)!.AsObject()).ToList();

    private async Task AnswerApiAsync(HttpContext context, string token)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        if (context.Request.Headers.Authorization.ToString() != "Bearer " + token)
        {
            context.Response.StatusCode = 401;
            await context.Response.WriteAsync("{\"message\":\"Bad credentials\"}");
            return;
        }
        if (Interlocked.Decrement(ref ApiDown) >= 0)
        {
            Interlocked.Increment(ref ApiRefused);
            context.Response.StatusCode = 503;
            return;
        }
        ApiCalls.Enqueue(new ApiCall(context.Request.Method, context.Request.Path.Value!, body));
        context.Response.StatusCode = context.Request.Method == "POST" ? 201 : 200;
        context.Response.ContentType = "application/json";
        var id = context.Request.Method == "POST" && context.Request.Path.Value!.EndsWith("/comments", StringComparison.Ordinal)
            ? Interlocked.Increment(ref _commentIds)
            : 1;
        await context.Response.WriteAsync($"{{\"id\":{id}}}");
    }

    internal sealed record ApiCall(string Method, string Path, string Body);
}
