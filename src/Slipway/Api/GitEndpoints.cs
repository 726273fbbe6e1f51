using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Slipway.Git;

namespace Slipway.Api;

/// <summary>An app's git remote, on the platform host: `git remote add slipway https://HOST/git/shop.git`.
/// /git/APP.git answers git's smart HTTP (info/refs, git-upload-pack, git-receive-pack) through `git http-backend`,
/// with a token as the Basic password (any user name); a push deploys before its branch moves (<see cref="Pushes"/>).
/// /v1/git manages the remotes: `slipway git create|ls|rm|map|unmap`.</summary>
internal static class GitEndpoints
{
    /// <summary>The largest push body: a first push carries the whole history.</summary>
    public const long MaxPush = 1024L * 1024 * 1024;

    public static void MapGitApi(this IEndpointRouteBuilder api)
    {
        // Signed in with any grant; the handler checks the app (a grant of one environment may fetch the repository,
        // and the hook checks each pushed branch against the environment it deploys to).
        api.MapGet("/git/{repo}/info/refs", (string repo, string? service, HttpContext context) =>
            ServeAsync(context, repo, "/info/refs", push: service == "git-receive-pack")).RequireSignedIn("git.fetch");
        api.MapPost("/git/{repo}/git-upload-pack", (string repo, HttpContext context) =>
            ServeAsync(context, repo, "/git-upload-pack", push: false)).RequireSignedIn("git.fetch");
        api.MapPost("/git/{repo}/git-receive-pack", (string repo, HttpContext context) =>
            ServeAsync(context, repo, "/git-receive-pack", push: true)).RequireSignedIn("git.push");

        var git = api.MapGroup("/v1/git");
        git.MapGet("", (GitRemotes remotes, HttpContext context) =>
        {
            var me = AccessControl.Caller(context);
            return remotes.List().Where(r => me.Sees(r.App)).Select(r => View(context, remotes, r)).ToList();
        }).RequireSignedIn("git.list");
        git.MapPost("/{app}", async (string app, GitCreateBody? body, GitRemotes remotes, HttpContext context) =>
        {
            var (remote, created) = await remotes.CreateAsync(app, body?.AllowForce ?? false, context.RequestAborted);
            AccessControl.AuditDetail(context, $"allow-force={remote.AllowForce}");
            return Results.Json(View(context, remotes, remote) with { Created = created }, statusCode: created ? 201 : 200);
        }).RequireAccess(Access.Permission.ManageGit, "git.create");
        git.MapDelete("/{app}", (string app, GitRemotes remotes) =>
        {
            remotes.Remove(app);
            return Results.NoContent();
        }).RequireAccess(Access.Permission.ManageGit, "git.remove");
        git.MapPut("/{app}/branches", (string app, GitMapBody body, GitRemotes remotes, HttpContext context) =>
        {
            var rule = remotes.Map(app, body.Branch, body.Env);
            AccessControl.AuditDetail(context, $"{rule.Pattern} -> {rule.Env}");
            return View(context, remotes, remotes.Require(app));
        }).RequireAccess(Access.Permission.ManageGit, "git.map");
        git.MapDelete("/{app}/branches", (string app, string branch, GitRemotes remotes, HttpContext context) =>
        {
            remotes.Unmap(app, branch);
            AccessControl.AuditDetail(context, branch);
            return View(context, remotes, remotes.Require(app));
        }).RequireAccess(Access.Permission.ManageGit, "git.unmap");
    }

    private static async Task ServeAsync(HttpContext context, string repo, string path, bool push)
    {
        var services = context.RequestServices;
        var app = repo.EndsWith(".git", StringComparison.Ordinal) ? repo[..^4] : repo;
        var principal = AccessControl.Caller(context);
        var remote = services.GetRequiredService<GitRemotes>().Find(app);
        if (remote is null || !principal.Sees(app))
        {
            // The same answer whether or not it exists, to someone with no grant on it.
            await TextAsync(context, 404, GitRemotes.NoRemote(app));
            return;
        }
        if (push && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxPush;
        }
        var backend = services.GetRequiredService<GitHttpBackend>();
        var request = new CgiRequest(context.Request.Method, $"/{app}.git{path}", context.Request.QueryString.Value ?? "",
            context.Request.ContentType, context.Request.ContentLength, context.Request.Headers.ContentEncoding.ToString() is { Length: > 0 } e ? e : null,
            context.Request.Headers["Git-Protocol"].ToString() is { Length: > 0 } p ? p : null, principal.Name, context.Connection.RemoteIpAddress?.ToString());
        Stream Respond(CgiHead head)
        {
            context.Response.StatusCode = head.Status;
            foreach (var (name, value) in head.Headers)
            {
                context.Response.Headers[name] = value;
            }
            return context.Response.Body;
        }
        var pushes = services.GetRequiredService<Pushes>();
        if (!push || context.Request.Method != HttpMethods.Post)
        {
            await backend.RunAsync(request, context.Request.Body, Respond, pushes.SettingsFor(remote, push), new Dictionary<string, string>(), context.RequestAborted);
            return;
        }
        await using var session = pushes.Begin(remote, principal);
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var talk = session.RunAsync(exited.Task, context.RequestAborted);
        try
        {
            await backend.RunAsync(request, context.Request.Body, Respond, session.Settings, session.Environment, context.RequestAborted);
        }
        finally
        {
            exited.TrySetResult();
            await talk;
        }
    }

    private static async Task TextAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(message + "\n");
    }

    private static GitRemoteDto View(HttpContext context, GitRemotes remotes, GitRemoteRecord remote) =>
        new(remote.App, RemoteUrl(context, remote.App), remote.AllowForce, remotes.Rules(remote.App).Select(r => new GitBranchDto(r.Pattern, r.Env)).ToList(),
            remote.CreatedAt);

    /// <summary>Where `git remote add` points: the platform host as this request reached it, or (over the Unix socket)
    /// as the edge serves it.</summary>
    private static string RemoteUrl(HttpContext context, string app)
    {
        if (context.Request.Host.HasValue && context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionSocketFeature>()?.Socket is not
            { AddressFamily: System.Net.Sockets.AddressFamily.Unix })
        {
            return $"{context.Request.Scheme}://{context.Request.Host}/git/{app}.git";
        }
        var options = context.RequestServices.GetRequiredService<ApiOptions>();
        var edge = context.RequestServices.GetRequiredService<Edge.EdgeServer>();
        return edge.HttpsPort is { } https
            ? $"https://{options.PlatformHost}{(https == 443 ? "" : ":" + https)}/git/{app}.git"
            : $"http://{options.PlatformHost}{(edge.Port == 80 ? "" : ":" + edge.Port)}/git/{app}.git";
    }
}

internal sealed record GitCreateBody(bool AllowForce = false);

internal sealed record GitMapBody(string Branch, string Env);

internal sealed record GitBranchDto(string Branch, string Env);

/// <param name="Url">What `git remote add slipway URL` takes.</param>
internal sealed record GitRemoteDto(string App, string Url, bool AllowForce, IReadOnlyList<GitBranchDto> Branches, DateTimeOffset CreatedAt, bool? Created = null);
