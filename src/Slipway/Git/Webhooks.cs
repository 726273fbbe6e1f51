using Microsoft.Extensions.Logging;
using Slipway.Config;
using Slipway.Deploy;
using Slipway.Git.Forges;
using Slipway.State;

namespace Slipway.Git;

/// <summary>/hooks/FORGE/APP: a forge tells the platform about a push. The delivery is checked before anything is read
/// from it, recorded whatever becomes of it, and acted on once per delivery id:
///
///   forge + app connected? ─► signature (HMAC / token) ─► delivery id seen? ─► parse ─► push of a mapped branch
///        404                   401, recorded            200, recorded         400     ─► DeployEngine: clone the
///                                                                                        commit over HTTPS with the
///                                                                                        sealed token ─► 202
///
/// The forge's retries and a person's "redeliver" are harmless; an unmapped branch or another event is answered 202
/// "ignored: why", so the forge's delivery log says what happened.</summary>
internal sealed partial class Webhooks(GitStore store, Keyring keyring, DeployEngine engine, Previews previews, ForgeNotices notices, ILogger<Webhooks> logger)
{
    private readonly Lock _deliveries = new();

    /// <summary>The answer to a delivery for no connected app, given before its body is read (nobody can make the
    /// platform buffer payloads for a URL that names nothing).</summary>
    public WebhookAnswer? Unknown(string forgeName, string app) =>
        !JsonSpellings.TryParse<Forge>(forgeName, out var forge) || store.Link(app) is not { } link || link.Forge != forge
            ? Handle(forgeName, app, _ => null, [])
            : null;

    public WebhookAnswer Handle(string forgeName, string app, Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        if (!JsonSpellings.TryParse<Forge>(forgeName, out var forge))
        {
            return new(404, $"'{forgeName}' is not a forge Slipway takes webhooks from: use /hooks/github/APP, /hooks/gitlab/APP or /hooks/gitea/APP.");
        }
        var link = store.Link(app);
        if (link is null || link.Forge != forge)
        {
            LogUnknown(logger, forgeName, app);
            return new(404, $"No {JsonSpellings.Of(forge)} webhook for '{app}' on this platform. Connect the app's remote to its repository: " +
                $"slipway git connect {app} --forge {JsonSpellings.Of(forge)} --repo URL");
        }
        var delivery = ForgeHeaders.DeliveryId(forge, header);
        var eventName = ForgeHeaders.EventName(forge, header);
        var check = WebhookSignature.Verify(forge, header, body, keyring.Decrypt(link.WebhookSecretEnc));
        if (!check.IsValid)
        {
            var why = check.Verdict == SignatureVerdict.Missing
                ? $"the delivery has no {check.Header} header"
                : $"{check.Header} does not match the webhook's secret";
            store.Record(app, forge, delivery, eventName, DeliveryOutcome.Refused, why, null);
            return new(401, $"Refused: {why}. Set the secret 'slipway git connect {app}' printed in the forge's webhook settings.");
        }
        ForgeEvent parsed;
        try
        {
            parsed = ForgeEventParser.Parse(forge, eventName ?? "", body);
        }
        catch (UserException e)
        {
            store.Record(app, forge, delivery, eventName, DeliveryOutcome.Refused, e.Message, null);
            return new(400, e.Message);
        }
        delivery = ForgeHeaders.DeliveryKey(forge, header, delivery, parsed);
        lock (_deliveries)
        {
            if (delivery is not null && store.Handled(app, forge, delivery))
            {
                store.Record(app, forge, delivery, eventName, DeliveryOutcome.Duplicate, null, null);
                return new(200, $"Delivery {delivery} was handled already; nothing was done again.");
            }
            // Queued work that ends marks its delivery done or failed (after this record: it takes the same lock); a
            // failed one's redelivery is acted on again.
            var key = delivery;
            var answer = Act(app, forge, link, parsed, key is null ? null : error =>
            {
                lock (_deliveries)
                {
                    store.SettleQueued(app, forge, key, error);
                }
            });
            var outcome = answer switch
            {
                { DeploymentId: not null } => DeliveryOutcome.Deployed,
                { Queued: true } => DeliveryOutcome.Queued,
                { Status: >= 400 } => DeliveryOutcome.Failed,
                _ => DeliveryOutcome.Ignored,
            };
            store.Record(app, forge, delivery, eventName, outcome, answer.Message, answer.DeploymentId);
            return answer;
        }
    }

    private WebhookAnswer Act(string app, Forge forge, ForgeLink link, ForgeEvent parsed, Action<string?>? settled)
    {
        switch (parsed)
        {
            case PingEvent:
                return new(200, $"The webhook of {app} works.");
            case IgnoredEvent ignored:
                return new(202, "Ignored: " + ignored.Why);
            case PushEvent { Deleted: true } deleted:
                return new(202, $"Ignored: {deleted.Branch} was deleted; what it deployed keeps running.");
            case PushEvent push:
                var rule = BranchMap.Match(push.Branch, store.Rules(app));
                if (rule is null)
                {
                    return new(202, $"Ignored: {push.Branch} deploys nowhere ({app}: {BranchMap.Describe(store.Rules(app))}).");
                }
                var target = AppRef.Of(app, rule.Env);
                try
                {
                    var deployment = engine.Enqueue(new DeployRequest(target, link.RepoUrl, push.CommitSha)
                    {
                        GitAuthorization = link.TokenEnc is null ? null : ForgeCredentials.Basic(forge, keyring.Decrypt(link.TokenEnc)),
                        RequestedBy = $"webhook ({JsonSpellings.Of(forge)})",
                    });
                    Report(app, link, push.CommitSha!, target, deployment.Id);
                    return new(202, $"Deploying {push.CommitSha![..12]} of {push.Branch} to {target}: deployment {deployment.Id}.", deployment.Id);
                }
                catch (UserException e)
                {
                    return new(422, e.Message);
                }
            case PullRequestEvent pull:
                return previews.Accept(app, link, pull, settled);
            default:
                return new(202, "Ignored: an event Slipway does not act on.");
        }
    }

    /// <summary>The pushed commit's status in context slipway/ENV: pending now, then how its deployment ended.</summary>
    private void Report(string app, ForgeLink link, string sha, AppRef target, string deploymentId)
    {
        var context = $"slipway/{target.Env}";
        notices.Status(app, link, sha, context, CommitState.Pending, $"Deploying to {target.Env}", null);
        notices.Follow(deploymentId, deployment =>
        {
            var (state, description) = deployment.Status switch
            {
                DeploymentStatus.Live or DeploymentStatus.Retired => (CommitState.Success, $"Live on {target.Env}"),
                DeploymentStatus.Failed => (CommitState.Failure, $"Deploy to {target.Env} failed: {deployment.Error ?? "see its log"}"),
                _ => (CommitState.Error, $"Deploy to {target.Env} was cancelled"),
            };
            notices.Status(app, link, sha, context, state, description, state == CommitState.Success ? notices.UrlOf(target.Key) : null);
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {Forge} webhook for {App} arrived, but that app's remote is not connected to that forge")]
    private static partial void LogUnknown(ILogger logger, string forge, string app);
}
