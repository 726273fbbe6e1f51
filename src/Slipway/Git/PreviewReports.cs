using Microsoft.Extensions.Logging;
using Slipway.Deploy;
using Slipway.Git.Forges;
using Slipway.State;

namespace Slipway.Git;

/// <summary>What the forge shows of a preview: the head commit's status in context slipway/pr-N, and the pull
/// request's one comment with the preview's URL (<see cref="PreviewComment"/>), both following the preview from
/// "deploying" to "live" or "failed", and the comment to "removed". When the app has a preview domain, the first time a
/// preview goes live its hostname pr-N.APP.DOMAIN becomes a domain of the preview environment, so the issuer gets it
/// its own certificate by HTTP-01 (no wildcard certificate), and the link the forge shows is that one.</summary>
internal sealed partial class PreviewReports(ForgeNotices notices, GitStore store, Domains.CustomDomains domains, AppHosts hosts, ILogger<PreviewReports> logger)
{
    public void Deploying(ForgeLink link, PreviewRecord preview)
    {
        Post(link, preview, CommitState.Pending, $"Deploying the preview {preview.Env.Env}", "⏳ Deploying", null, null);
        if (preview.DeploymentId is { } id)
        {
            notices.Follow(id, deployment => Finished(link, preview, deployment));
        }
    }

    public void AwaitingApproval(ForgeLink link, PreviewRecord preview) =>
        Post(link, preview, CommitState.Pending, "Waiting for a deployer's approval (a fork's commit)", "⏸ Waiting for a deployer's approval", null,
            $"This pull request comes from a fork, so its code runs on the server only once a deployer has read `{Short(preview.HeadSha)}` and approved it: " +
            $"`slipway previews approve {preview.Number} --app {preview.App} --sha {Short(preview.HeadSha)}` (each new commit waits again).");

    public void Failed(ForgeLink link, PreviewRecord preview, string error)
    {
        var shown = Public(preview, error, null);
        Post(link, preview, CommitState.Failure, "Failed: " + shown, "❌ Failed: " + shown, null, null);
    }

    /// <summary>What a failure may say in public (a status, the comment): a fork's commit is code of a stranger, whose
    /// build output or errors are a way out for anything it read on the server, so its failures name the step alone.</summary>
    private static string Public(PreviewRecord preview, string error, string? step) =>
        !preview.FromFork ? error
            : step is null ? "see the platform for the cause (a fork's errors are not posted)"
            : $"at {step} (a fork's errors are not posted; the deploy log has them)";

    /// <summary>The comment says the preview is gone (its status stays as the commit's last deployment left it).</summary>
    public void Removed(ForgeLink link, PreviewRecord preview, string why) =>
        notices.Comment(preview.App, link, preview.Number, PreviewComment.Text(preview, "🗑 Removed: " + why, null, null), preview.CommentId);

    private void Finished(ForgeLink link, PreviewRecord started, DeploymentRecord deployment)
    {
        // A deployment that a newer commit replaced (or that a fork's newer, unapproved commit waits behind) only sets
        // its own commit's status; the comment follows the preview's current head alone.
        var current = store.FindPreview(started.App, started.Number);
        var latest = current is not null && current.DeploymentId == deployment.Id && current.HeadSha == started.HeadSha
            && current.State == PreviewState.Deploying;
        var preview = latest ? current! : started;
        var logs = $"Its deploy log: `slipway logs --app {preview.App} --env {preview.Env.Env} --deployment {deployment.Id}`.";
        switch (deployment.Status)
        {
            case DeploymentStatus.Live or DeploymentStatus.Retired:
                var url = latest ? Url(preview) : notices.UrlOf(preview.Env.Key);
                Post(link, preview, CommitState.Success, $"Live at {url}", "✅ Live", url, null, comment: latest);
                break;
            case DeploymentStatus.Failed:
                var error = Public(preview, deployment.Error ?? "the deployment failed", deployment.Step ?? "deploy");
                Post(link, preview, CommitState.Failure, "Failed: " + error, "❌ Failed: " + error, null, logs, comment: latest);
                break;
            default:
                Post(link, preview, CommitState.Error, "Cancelled", "⏹ Cancelled", null, null, comment: latest);
                break;
        }
    }

    /// <summary>The preview's address: pr-N.APP.DOMAIN (over HTTPS when the edge serves it) with a preview domain (made a domain of the preview the
    /// first time), else APP-pr-N.localhost.</summary>
    private string Url(PreviewRecord preview)
    {
        if (store.PreviewSettings(preview.App).HostOf(preview.App, preview.Number) is { } host)
        {
            if (hosts.ExtraOf(preview.Env.Key).Contains(host))
            {
                return notices.DomainUrlOf(host);
            }
            try
            {
                domains.Add(preview.Env, host, null, hsts: false, move: false);
                return notices.DomainUrlOf(host);
            }
            catch (UserException e)
            {
                LogNoDomain(logger, preview.App, preview.Number, host, e.Message);
            }
        }
        return notices.LocalUrlOf(preview.Env.Key);
    }

    private void Post(ForgeLink link, PreviewRecord preview, CommitState state, string description, string shown, string? url, string? next, bool comment = true)
    {
        notices.Status(preview.App, link, preview.HeadSha, $"slipway/{preview.Env.Env}", state, description, url);
        if (comment)
        {
            notices.Comment(preview.App, link, preview.Number, PreviewComment.Text(preview, shown, url, next));
        }
    }

    private static string Short(string sha) => sha[..Math.Min(12, sha.Length)];

    [LoggerMessage(Level = LogLevel.Warning, Message = "The preview of {App} #{Number} could not take its hostname {Host}: {Error}")]
    private static partial void LogNoDomain(ILogger logger, string app, long number, string host, string error);
}
