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
    public const long MaxPush = Edge.EdgeRules.MaxPush;

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

        // A forge's webhook: public, the signature is the credential (checked before anything else is read).
        api.MapPost("/hooks/{forge}/{app}", async (string forge, string app, Webhooks webhooks, HttpContext context) =>
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = Git.Forges.WebhookLimits.MaxPayload;
            }
            if (context.Request.ContentLength is > Git.Forges.WebhookLimits.MaxPayload)
            {
                return Results.Text($"The payload is over {Git.Forges.WebhookLimits.MaxPayload / 1024 / 1024} MiB.\n", "text/plain", statusCode: 413);
            }
            if (webhooks.Unknown(forge, app) is { } unknown)
            {
                return Results.Text(unknown.Message + "\n", "text/plain", statusCode: unknown.Status);
            }
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var answer = webhooks.Handle(forge, app, name => context.Request.Headers[name].FirstOrDefault(), body.GetBuffer().AsSpan(0, (int)body.Length));
            return Results.Text(answer.Message + "\n", "text/plain", statusCode: answer.Status);
        }).AllowAnyone("git.webhook");

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
        git.MapPost("/{app}/forge", (string app, GitConnectBody body, GitRemotes remotes, HttpContext context) =>
        {
            if (!JsonSpellings.TryParse<Git.Forges.Forge>(body.Forge, out var forge))
            {
                throw new UserException($"--forge '{body.Forge}' is not one Slipway takes webhooks from: use github, gitlab or gitea (Forgejo too).");
            }
            var (link, secret) = remotes.Connect(app, forge, body.Repo, body.ApiUrl, body.Token);
            AccessControl.AuditDetail(context, $"{body.Forge} {link.RepoUrl}" + (link.TokenEnc is null ? "" : " with a token"));
            return new GitConnectedDto(app, body.Forge, link.RepoUrl, $"{PlatformUrl(context)}/hooks/{body.Forge}/{app}", secret, link.TokenEnc is not null, link.ApiBase);
        }).RequireAccess(Access.Permission.ManageGit, "git.connect");
        git.MapDelete("/{app}/forge", (string app, GitRemotes remotes) =>
        {
            remotes.Disconnect(app);
            return Results.NoContent();
        }).RequireAccess(Access.Permission.ManageGit, "git.disconnect");
        git.MapGet("/{app}/deliveries", (string app, int? limit, GitRemotes remotes) =>
            remotes.Deliveries(app, limit ?? 20).Select(d => new GitDeliveryDto(d.Id, d.Forge, d.Delivery, d.Event, d.ReceivedAt, d.Outcome, d.Detail, d.DeploymentId)).ToList())
            .RequireAccess(Access.Permission.Read, "git.deliveries");
        git.MapPut("/{app}/previews", (string app, GitPreviewsBody body, GitRemotes remotes, GitStore store, ApiOptions options, HttpContext context) =>
        {
            remotes.Require(app);
            var current = store.PreviewSettings(app);
            var ttl = current.Ttl;
            if (body.Ttl is { } text && (!Durations.TryParseWindow(text, out ttl) || ttl < TimeSpan.FromHours(1)))
            {
                throw new UserException($"--ttl '{text}' is not a duration of an hour or more, like 7d or 48h.");
            }
            var settings = new PreviewSettings(body.On, ttl, body.DatabasesFrom is { } from ? AppRef.Of(app, from).Env : current.DatabasesFrom,
                body.WithData ?? current.WithData, body.ForkSecrets ?? current.ForkSecrets, body.Domain switch
                {
                    null => current.Domain,
                    "" => null,
                    { } domain => PreviewDomain(app, domain, options.PlatformHost),
                }, body.Crons ?? current.Crons);
            store.SetPreviews(app, settings);
            AccessControl.AuditDetail(context, $"previews={(body.On ? "on" : "off")} ttl={Durations.Format(ttl)} databases-from={settings.DatabasesFrom} " +
                $"with-data={settings.WithData} fork-secrets={settings.ForkSecrets} domain={settings.Domain ?? "-"} crons={settings.Crons}");
            return new GitPreviewSettingsDto(app, settings.On, Durations.Format(ttl), settings.DatabasesFrom, settings.WithData, settings.ForkSecrets, settings.Domain,
                settings.Crons);
        }).RequireAccess(Access.Permission.ManageGit, "git.previews");
        git.MapGet("/{app}/previews", (string app, GitRemotes remotes, GitStore store, State.Store state, Deploy.AppHosts hosts, Edge.EdgeServer edge) =>
        {
            remotes.Require(app);
            return store.Previews(app).Select(p => Preview(p, state, hosts, edge)).ToList();
        }).RequireAccess(Access.Permission.Read, "previews.list");
        git.MapPost("/{app}/previews/{number:long}/approve", async (string app, long number, string? sha, GitRemotes remotes, GitStore store, Previews previews,
            State.Store state, Deploy.AppHosts hosts, Edge.EdgeServer edge, HttpContext context) =>
        {
            var link = remotes.Link(app) ?? throw new UserException($"{app}'s remote is not connected to a forge, so it has no pull requests.", 404);
            AccessControl.Demand(context, Access.Permission.Deploy, AppRef.Of(app, PreviewRecord.EnvName(number)), "previews.approve");
            var preview = await previews.ApproveAsync(app, link, number, sha);
            AccessControl.AuditDetail(context, $"#{number} at {preview.HeadSha[..12]} from {preview.CloneUrl}");
            return Preview(preview, state, hosts, edge);
        }).RequireAccess(Access.Permission.Read, "previews.approve");
        git.MapDelete("/{app}/previews/{number:long}", async (string app, long number, GitStore store, Previews previews, HttpContext context) =>
        {
            if (store.FindPreview(app, number) is null)
            {
                throw new UserException($"{app} has no preview of #{number}; 'slipway previews ls --app {app}' lists them.", 404);
            }
            AccessControl.Demand(context, Access.Permission.Deploy, AppRef.Of(app, PreviewRecord.EnvName(number)), "previews.remove");
            await previews.RemoveAsync(app, number, "removed by " + AccessControl.Caller(context).Name);
            return Results.NoContent();
        }).RequireAccess(Access.Permission.Read, "previews.remove");
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
        if (push && services.GetRequiredService<Pushes>().MayNotPush(app, principal) is { } refused)
        {
            // Before a pack is received: a reader must not be able to fill the disk with pushes the hook would refuse.
            await TextAsync(context, 403, refused);
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
        if (push && context.Request.Method != HttpMethods.Post && pushes.Full(app) is { } busy)
        {
            // git shows a text answer to its first request (the refs) as "remote: ..." lines; to the pack's, only a status.
            context.Response.Headers.RetryAfter = "30";
            await TextAsync(context, 503, busy);
            return;
        }
        if (!push || context.Request.Method != HttpMethods.Post)
        {
            await backend.RunAsync(request, context.Request.Body, Respond, pushes.SettingsFor(remote, push), new Dictionary<string, string>(), context.RequestAborted);
            return;
        }
        using var slot = pushes.TryEnter(app, out var full);
        if (slot is null)
        {
            context.Response.Headers.RetryAfter = "30";
            await TextAsync(context, 503, full!);
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

    /// <summary>A preview domain is checked as the hostnames it makes (pr-N.APP.DOMAIN) will be, by the domains' rules.</summary>
    private static string PreviewDomain(string app, string domain, string platformHost)
    {
        var normalized = domain.Trim().TrimEnd('.').ToLowerInvariant();
        if (normalized.StartsWith("*.", StringComparison.Ordinal))
        {
            throw new UserException($"--domain takes the domain itself (example.com), not the wildcard: previews answer pr-N.{app}.DOMAIN, " +
                $"and the DNS record to make is *.{app}.DOMAIN.");
        }
        Domains.DomainNames.Normalize($"pr-1.{app}.{normalized}", platformHost);
        return normalized;
    }

    internal static GitPreviewDto Preview(PreviewRecord preview, State.Store state, Deploy.AppHosts hosts, Edge.EdgeServer edge)
    {
        var deployment = preview.DeploymentId is { } id ? state.FindDeployment(id) : null;
        var status = deployment is null ? JsonSpellings.Of(preview.State) : JsonSpellings.Of(deployment.Status);
        var failed = preview.State == PreviewState.Failed;
        return new GitPreviewDto(preview.Number, preview.Env.Env, preview.Title, preview.HeadBranch, preview.HeadSha[..12], preview.Author, status,
            failed ? preview.Detail : deployment?.Error, hosts.For(preview.Env.Key).Select(edge.UrlOf).ToList(), preview.DeploymentId, preview.UpdatedAt,
            failed ? null : preview.Detail);
    }

    private static async Task TextAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(message + "\n");
    }

    private static GitRemoteDto View(HttpContext context, GitRemotes remotes, GitRemoteRecord remote)
    {
        var link = remotes.Link(remote.App);
        return new(remote.App, $"{PlatformUrl(context)}/git/{remote.App}.git", remote.AllowForce,
            remotes.Rules(remote.App).Select(r => new GitBranchDto(r.Pattern, r.Env)).ToList(), remote.CreatedAt,
            Forge: link is null ? null : JsonSpellings.Of(link.Forge), Repo: link?.RepoUrl);
    }

    /// <summary>The platform as the outside reaches it (git remotes, webhooks): the platform host as this request reached
    /// it, or (over the Unix socket) as the edge serves it.</summary>
    private static string PlatformUrl(HttpContext context)
    {
        if (context.Request.Host.HasValue && context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionSocketFeature>()?.Socket is not
            { AddressFamily: System.Net.Sockets.AddressFamily.Unix })
        {
            return $"{context.Request.Scheme}://{context.Request.Host}";
        }
        var options = context.RequestServices.GetRequiredService<ApiOptions>();
        var edge = context.RequestServices.GetRequiredService<Edge.EdgeServer>();
        return edge.HttpsPort is { } https
            ? $"https://{options.PlatformHost}{(https == 443 ? "" : ":" + https)}"
            : $"http://{options.PlatformHost}{(edge.Port == 80 ? "" : ":" + edge.Port)}";
    }
}

internal sealed record GitCreateBody(bool AllowForce = false);

internal sealed record GitMapBody(string Branch, string Env);

internal sealed record GitBranchDto(string Branch, string Env);

/// <param name="Url">What `git remote add slipway URL` takes.</param>
internal sealed record GitRemoteDto(string App, string Url, bool AllowForce, IReadOnlyList<GitBranchDto> Branches, DateTimeOffset CreatedAt, bool? Created = null,
    string? Forge = null, string? Repo = null);

/// <param name="Token">An access token that reads the repository (and, later, posts statuses); sent by the CLI from stdin.</param>
internal sealed record GitConnectBody(string Forge, string Repo, string? ApiUrl = null, string? Token = null);

/// <param name="Secret">The webhook's secret, shown this once: it goes into the forge's webhook settings.</param>
internal sealed record GitConnectedDto(string App, string Forge, string Repo, string WebhookUrl, string Secret, bool HasToken, string? ApiUrl);

/// <param name="Domain">Previews answer pr-N.APP.DOMAIN (null: unchanged; empty: none).</param>
internal sealed record GitPreviewsBody(bool On, string? Ttl = null, string? DatabasesFrom = null, bool? WithData = null, bool? ForkSecrets = null,
    string? Domain = null, bool? Crons = null);

internal sealed record GitPreviewSettingsDto(string App, bool On, string Ttl, string DatabasesFrom, bool WithData, bool ForkSecrets, string? Domain = null,
    bool Crons = false);

/// <param name="Status">The preview's deployment's status (building, live, failed...), or awaiting-approval / failed before one.</param>
internal sealed record GitPreviewDto(long Number, string Env, string? Title, string Branch, string Commit, string? Author, string Status, string? Error,
    IReadOnlyList<string> Urls, string? DeploymentId, DateTimeOffset UpdatedAt, string? Note = null);

internal sealed record GitDeliveryDto(long Id, string Forge, string? Delivery, string? Event, DateTimeOffset ReceivedAt, string Outcome, string? Detail,
    string? DeploymentId);
