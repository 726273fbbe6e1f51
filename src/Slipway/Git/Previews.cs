using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Slipway.Config;
using Slipway.Deploy;
using Slipway.Git.Forges;

namespace Slipway.Git;

/// <summary>A preview environment per pull request, as Vercel and Render make them: the request's head commit deployed
/// to environment pr-N of the app (APP-pr-N.localhost), its config first copied from the app's `preview` template
/// environment; every update redeploys it; closing or merging the request removes it (instances, databases, config),
/// and so does the sweeper once it has gone a TTL without a change.
///
///   opened/updated ─► pr-N exists? no: template config ─► DeployEngine (the request's head commit) ─► row: deploying
///   closed         ─► AppOperations.DestroyAsync(pr-N) ─► row gone
///
/// The work runs after the webhook is answered (forges give up on slow answers), one pull request at a time.
/// Pull requests from forks get no preview: their code is not the repository owner's.</summary>
internal sealed partial class Previews(GitStore store, Keyring keyring, ConfigVars config, DeployEngine engine, AppOperations apps, State.Store state,
    IEnvironmentResources resources, Databases.DatabaseStore databases, Databases.Branching branching, PreviewReports reports, Edge.EdgeServer edge, TimeProvider clock, ILogger<Previews> logger)
{
    /// <summary>The environment whose variables every new preview starts with (`slipway env set --env preview ...`).</summary>
    public const string TemplateEnv = "preview";

    /// <summary>How much of a commit's id `previews approve --sha` needs.</summary>
    public const int MinApprovedSha = 12;

    private readonly KeyedTurns<(string, long)> _turns = new();
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    /// <summary>How long a close is remembered (git_closed_pulls): forges deliver out of order and retry for hours, so an
    /// update delivered after its pull request's close must not make the preview again. Only a reopen does.</summary>
    private static readonly TimeSpan ClosedKept = TimeSpan.FromDays(7);

    /// <summary>Acts on a pull request event (after its delivery was verified); the answer goes back to the forge.
    /// When the answer says work was queued, <paramref name="settled"/> hears how it ended: null when done, else why it
    /// failed. Queued work runs in the order its deliveries were taken, one at a time per pull request.</summary>
    public WebhookAnswer Accept(string app, ForgeLink link, PullRequestEvent pull, Action<string?>? settled = null)
    {
        var env = AppRef.Of(app, PreviewRecord.EnvName(pull.Number));
        if (!store.PreviewSettings(app).On)
        {
            return new(202, $"Ignored: previews are off for {app}; turn them on with: slipway git previews {app} --on");
        }
        // As stored (milliseconds), so the check in the turn compares like with like.
        var now = UtcTime.Parse(UtcTime.Format(clock.GetUtcNow()));
        if (pull.Action == PullRequestAction.Closed)
        {
            if (pull.UpdatedAt is { } closing && store.PullSeen(app, pull.Number, ClosedKept) is { } seen && seen.After(closing))
            {
                return new(202, $"Ignored: this close of #{pull.Number} ({closing:u}) came before its reopening or update ({seen.UpdatedAt:u}) and " +
                    "was delivered late; the preview stays.");
            }
            // Marked before the removal is queued: work of earlier deliveries still waiting for its turn sees it.
            if (store.FindClosed(app, pull.Number, ClosedKept) is not { } earlier || !earlier.Precedes(pull))
            {
                store.MarkClosed(app, pull.Number, now, pull.UpdatedAt, ClosedKept);
            }
            Run(app, pull.Number, async () =>
            {
                await RemoveNowAsync(app, pull.Number, pull.Merged ? "the pull request was merged" : "the pull request was closed");
                return null;
            }, settled);
            return new(202, $"Removing the preview {env}: #{pull.Number} was {(pull.Merged ? "merged" : "closed")}.") { Queued = true };
        }
        if (store.FindClosed(app, pull.Number, ClosedKept) is { } closed)
        {
            if (closed.Precedes(pull))
            {
                return new(202, $"Ignored: #{pull.Number} was closed at {closed.ClosedAt:u} and this {pull.Action switch { PullRequestAction.Opened => "opening", PullRequestAction.Reopened => "reopening", _ => "update" }} " +
                    "came before that (it was delivered late); reopening it makes its preview again.");
            }
            store.ClearClosed(app, pull.Number);
        }
        if (pull.UpdatedAt is { } taken && store.PullSeen(app, pull.Number, ClosedKept) is { } newest && taken < newest.UpdatedAt)
        {
            // Pushed before a newer update already taken (a forge's retry, or deliveries out of order): deploying it
            // would leave an older commit live than the pull request's head.
            return new(202, $"Ignored: this {(pull.Action == PullRequestAction.Updated ? "update" : "opening")} of #{pull.Number} ({taken:u}) is older than " +
                $"one already taken ({newest.UpdatedAt:u}); it was delivered late.");
        }
        if (pull.UpdatedAt is { } updatedAt)
        {
            // Now, not in the turn, and whether or not the pull request has a preview yet: a late close taken before
            // this work runs must already see it.
            store.NotePullSeen(app, pull.Number, updatedAt, pull.Action == PullRequestAction.Reopened, ClosedKept);
        }
        if (pull.FromFork)
        {
            if (pull.HeadCloneUrl is null || !Builds.SourceSnapshot.IsNetworkGitUrl(pull.HeadCloneUrl))
            {
                return new(202, $"Ignored: #{pull.Number} comes from a fork that no longer exists (or has no https clone URL).");
            }
            // Each new head of a fork waits for a deployer: approving one commit is not approving the next.
            var existing = store.FindPreview(app, pull.Number);
            var waiting = new PreviewRecord(app, pull.Number, pull.HeadSha, pull.HeadBranch, pull.HeadCloneUrl, FromFork: true, pull.Title, pull.Author,
                PreviewState.AwaitingApproval, null, existing?.DeploymentId, existing?.CreatedAt ?? now, now, existing?.CommentId);
            store.SavePreview(waiting);
            reports.AwaitingApproval(link, waiting);
            return new(202, $"#{pull.Number} comes from a fork: its preview waits for a deployer to read {pull.HeadSha[..12]} and approve it: " +
                $"slipway previews approve {pull.Number} --app {app}");
        }
        Run(app, pull.Number, async () =>
        {
            // A safeguard (work runs in the order deliveries were taken): a close taken after this delivery, in the
            // same millisecond or later, wins.
            if (store.FindClosed(app, pull.Number, ClosedKept) is { } closedSince && closedSince.ClosedAt >= now)
            {
                return null;
            }
            return await DeployAsync(app, link, ToRecord(app, link, pull));
        }, settled);
        return new(202, $"Deploying #{pull.Number}'s {pull.HeadSha[..12]} to the preview {env}: {edge.UrlOf(env.Key + ".localhost")}") { Queued = true };
    }

    /// <summary>`slipway previews approve`: a fork's pull request, at the head a deployer has read, gets its preview
    /// (fetched from the fork without the app's token; with no secrets unless the app allows them).</summary>
    public async Task<PreviewRecord> ApproveAsync(string app, ForgeLink link, long number, string? sha)
    {
        var preview = store.FindPreview(app, number) ?? throw new UserException($"{app} has no pull request #{number} waiting for a preview.", 404);
        if (preview.State != PreviewState.AwaitingApproval)
        {
            throw new UserException($"#{number} waits for no approval ({JsonSpellings.Of(preview.State)}): only a fork's new commits do.", 409);
        }
        // Approval names the commit that was read, with enough of its id that another cannot pass for it.
        if (sha is null || sha.Length < MinApprovedSha || !sha.All(char.IsAsciiHexDigitLower))
        {
            throw new UserException($"Name the commit you read, at least {MinApprovedSha} hex digits of it: " +
                $"slipway previews approve {number} --app {app} --sha {preview.HeadSha[..12]}");
        }
        if (!preview.HeadSha.StartsWith(sha, StringComparison.Ordinal))
        {
            throw new UserException($"#{number}'s head is {preview.HeadSha[..12]} now, not {sha}: read the new commits, then approve again.", 409);
        }
        PreviewRecord? changed = null;
        await Turn(app, number, async () =>
        {
            // Read again in the pull request's turn: a push that arrived meanwhile is not what was approved.
            var now = store.FindPreview(app, number);
            if (now is null || now.HeadSha != preview.HeadSha || now.State != PreviewState.AwaitingApproval)
            {
                changed = now ?? preview with { HeadSha = "gone" };
                return;
            }
            // A deployment that could not be queued leaves the preview failed, with why: the answer shows it.
            _ = await DeployAsync(app, link, now);
        });
        if (changed is not null)
        {
            throw new UserException($"#{number} changed while it was being approved (its head is {changed.HeadSha[..Math.Min(12, changed.HeadSha.Length)]} now): " +
                "read it again, then approve that commit.", 409);
        }
        return store.FindPreview(app, number) ?? preview;
    }

    /// <summary>`slipway previews rm`: the preview goes now, whatever its pull request does next (an update makes it again).</summary>
    public Task RemoveAsync(string app, long number, string why) => Turn(app, number, () => RemoveNowAsync(app, number, why));

    private async Task RemoveNowAsync(string app, long number, string why)
    {
        var env = AppRef.Of(app, PreviewRecord.EnvName(number));
        // Read first: destroying the environment deletes its row too.
        var removed = store.FindPreview(app, number);
        if (state.FindApp(env.Key) is not null)
        {
            await apps.DestroyAsync(env.Key);
        }
        else
        {
            // Never deployed (its deployment could not start): the config copied from the template and the databases
            // branched for it are what is left.
            await DropUndeployedAsync(env, config.List(env).Where(e => !e.Shared).Select(e => e.Name).ToList());
        }
        store.DeletePreview(app, number);
        LogRemoved(logger, app, number, why);
        if (removed is not null && store.Link(app) is { } link)
        {
            reports.Removed(link, removed, why);
        }
    }

    /// <summary>Previews untouched for longer than their app's TTL (a forgotten pull request, a missed "closed").</summary>
    public async Task SweepAsync(CancellationToken token)
    {
        var now = clock.GetUtcNow();
        foreach (var preview in store.Previews())
        {
            token.ThrowIfCancellationRequested();
            var ttl = store.PreviewSettings(preview.App).Ttl;
            if (preview.UpdatedAt + ttl < now)
            {
                await Turn(preview.App, preview.Number, async () =>
                {
                    // Again in the pull request's turn: an update that came meanwhile keeps it.
                    if (store.FindPreview(preview.App, preview.Number) is { } now && now.UpdatedAt + ttl < clock.GetUtcNow())
                    {
                        await RemoveNowAsync(preview.App, preview.Number, $"no change for {Durations.Format(ttl)}");
                    }
                });
            }
        }
    }

    /// <summary>Waits for the preview work started so far (tests, shutdown).</summary>
    public Task IdleAsync() => Task.WhenAll(_running.Keys);

    private PreviewRecord ToRecord(string app, ForgeLink link, PullRequestEvent pull)
    {
        var now = clock.GetUtcNow();
        return new PreviewRecord(app, pull.Number, pull.HeadSha, pull.HeadBranch, link.RepoUrl, pull.FromFork, pull.Title, pull.Author,
            PreviewState.Deploying, null, null, store.FindPreview(app, pull.Number)?.CreatedAt ?? now, now);
    }

    /// <summary>Deploys <paramref name="preview"/>'s head to its environment; the first time, its config starts from the
    /// template and its databases are branched. Returns why its deployment could not be queued, or null.</summary>
    private async Task<string?> DeployAsync(string app, ForgeLink link, PreviewRecord preview)
    {
        var env = preview.Env;
        var record = preview with { State = PreviewState.Deploying, Detail = null, UpdatedAt = clock.GetUtcNow() };
        var isNew = state.FindApp(env.Key) is null;
        // Saved first: whether its secrets are withheld is read from this row when its config is prepared.
        store.SavePreview(record);
        var withheld = preview.FromFork && !store.PreviewSettings(app).ForkSecrets;
        var copied = isNew ? CopyTemplate(env, secrets: !withheld) : [];
        try
        {
            if (isNew)
            {
                // A fork's code never reads another environment's rows, whatever the settings.
                var settings = store.PreviewSettings(app);
                record = record with { Detail = await BranchDatabasesAsync(env, settings with { WithData = settings.WithData && !preview.FromFork }) };
            }
            // The app's token goes only to the app's own repository, never to a fork's.
            var deployment = engine.Enqueue(new DeployRequest(env, preview.CloneUrl, preview.HeadSha)
            {
                GitAuthorization = preview.FromFork || link.TokenEnc is null ? null : ForgeCredentials.Basic(link.Forge, keyring.Decrypt(link.TokenEnc)),
                RequestedBy = $"preview ({JsonSpellings.Of(link.Forge)} #{preview.Number}" + (preview.Author is { } author ? $" by {author})" : ")"),
            });
            record = record with { DeploymentId = deployment.Id };
            store.SavePreview(record);
            reports.Deploying(link, record);
            return null;
        }
        catch (Exception e)
        {
            // A preview that never got a deployment keeps nothing: no copied config, no branched database.
            if (isNew && state.FindApp(env.Key) is null)
            {
                try
                {
                    await DropUndeployedAsync(env, copied);
                }
                catch (Exception cleanup) when (cleanup is UserException or IOException or Npgsql.NpgsqlException)
                {
                    // The cause stays what is reported; what could not be dropped goes with the preview's removal.
                    LogCleanupFailed(logger, app, preview.Number, cleanup.Message);
                }
            }
            if (e is not UserException)
            {
                throw;
            }
            record = record with { State = PreviewState.Failed, Detail = e.Message };
            store.SavePreview(record);
            reports.Failed(link, record, e.Message);
            return e.Message;
        }
    }

    private async Task DropUndeployedAsync(AppRef env, IReadOnlyList<string> copied)
    {
        if (copied.Count > 0)
        {
            config.Change(env, new Dictionary<string, string>(), secret: false, copied);
        }
        await resources.DropForAppAsync(env.Key, keep: false, CancellationToken.None);
    }

    /// <summary>A new preview's postgres databases start as branches of the settings' environment's (schema only unless
    /// the settings say with data), so its migrations run against the real schema; redis and databases the source does
    /// not have start empty, made by the deploy. Returns what was done, for `previews ls`.</summary>
    private async Task<string?> BranchDatabasesAsync(AppRef env, PreviewSettings settings)
    {
        var from = AppRef.Of(env.App, settings.DatabasesFrom);
        var sources = databases.ListFor(from.Key).Where(d => d.Type == Databases.DatabaseRecord.Postgres).ToList();
        foreach (var source in sources)
        {
            await branching.BranchAsync(env.App, from.Env, env.Env, source.Name, schemaOnly: !settings.WithData, Databases.OperationProgress.None, CancellationToken.None);
        }
        return sources.Count == 0 ? null
            : $"databases {string.Join(", ", sources.Select(s => s.Name))} branched from {from.Env} ({(settings.WithData ? "with data" : "schema only")})";
    }

    /// <summary>The template environment's own variables (its secrets only with <paramref name="secrets"/>) into a new
    /// preview; returns their names.</summary>
    private List<string> CopyTemplate(AppRef env, bool secrets)
    {
        var template = config.List(AppRef.Of(env.App, TemplateEnv)).Where(e => !e.Shared && (secrets || !e.Secret)).ToList();
        foreach (var group in template.GroupBy(e => e.Secret))
        {
            config.Change(env, group.ToDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal), group.Key, []);
        }
        return template.Select(e => e.Name).ToList();
    }

    /// <summary>Queues <paramref name="work"/> (returning why it failed, or null) behind the pull request's earlier work.</summary>
    private void Run(string app, long number, Func<Task<string?>> work, Action<string?>? settled)
    {
        // The turn is asked for here, in the order the deliveries are taken; the thread pool would start them in any
        // order (a reopen's deploy before the close's removal taken first).
#pragma warning disable CA2000 // the turn is disposed by the using below, once the task has it
        var taking = _turns.TakeAsync((app, number));
#pragma warning restore CA2000
        var task = Task.Run(async () =>
        {
            string? error;
            using (await taking)
            {
                error = await AttemptAsync(app, number, work);
            }
            try
            {
                settled?.Invoke(error);
            }
            catch (Exception e)
            {
                // The work's own outcome is already in the preview's row; only the delivery's record missed it.
                LogSettleFailed(logger, app, number, e);
            }
        });
        _running[task] = 0;
        task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
    }

    private async Task Turn(string app, long number, Func<Task> work)
    {
        using var turn = await _turns.TakeAsync((app, number));
        await AttemptAsync(app, number, async () =>
        {
            await work();
            return null;
        });
    }

    /// <summary>Runs <paramref name="work"/>; a failure marks the preview failed and is returned, never thrown.</summary>
    private async Task<string?> AttemptAsync(string app, long number, Func<Task<string?>> work)
    {
        try
        {
            return await work();
        }
        catch (Exception e) when (e is UserException or DeployFailure)
        {
            LogFailed(logger, app, number, e.Message);
            MarkFailedSafely(app, number, e.Message);
            return e.Message;
        }
        catch (Exception e)
        {
            LogBug(logger, app, number, e);
            const string Internal = "the platform failed to handle it (an internal error; details in the platform log)";
            MarkFailedSafely(app, number, Internal);
            return Internal;
        }
    }

    private void MarkFailedSafely(string app, long number, string error)
    {
        try
        {
            MarkFailed(app, number, error);
        }
        catch (Exception e)
        {
            LogSettleFailed(logger, app, number, e);
        }
    }

    /// <summary>A preview whose work failed says so (never "deploying" forever), to `previews ls` and the forge.</summary>
    private void MarkFailed(string app, long number, string error)
    {
        if (store.FindPreview(app, number) is { } preview)
        {
            var failed = preview with { State = PreviewState.Failed, Detail = error, UpdatedAt = clock.GetUtcNow() };
            store.SavePreview(failed);
            if (store.Link(app) is { } link)
            {
                reports.Failed(link, failed, error);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The preview of {App} #{Number} could not drop what it had made after failing: {Error}")]
    private static partial void LogCleanupFailed(ILogger logger, string app, long number, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "The preview of {App} #{Number} was removed: {Why}")]
    private static partial void LogRemoved(ILogger logger, string app, long number, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The preview of {App} #{Number} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, string app, long number, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "The outcome of the preview work for {App} #{Number} could not be recorded")]
    private static partial void LogSettleFailed(ILogger logger, string app, long number, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The preview of {App} #{Number} failed with an internal error")]
    private static partial void LogBug(ILogger logger, string app, long number, Exception exception);
}
