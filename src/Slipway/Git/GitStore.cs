using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Git;

/// <summary>Git remotes and their branch rules in the platform's database (schema step 15). Keyed by the app's name
/// (its production row): one repository serves every environment of the app.</summary>
internal sealed class GitStore(Store store, TimeProvider clock)
{
    private SqliteConnection Open() => store.Connections.Open();

    public GitRemoteRecord? Find(string app)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<Row>("select app, allow_force, created_at from git_remotes where app = @app", new { app })?.ToRecord();
    }

    public IReadOnlyList<GitRemoteRecord> List()
    {
        using var c = Open();
        return c.Query<Row>("select app, allow_force, created_at from git_remotes order by app").Select(r => r.ToRecord()).ToList();
    }

    /// <summary>Creates the remote with <paramref name="rules"/>, or sets its force-push choice when it exists (its
    /// rules stay). Returns whether it was created.</summary>
    public bool Upsert(string app, bool allowForce, IReadOnlyList<BranchRule> rules)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var now = UtcTime.Format(clock.GetUtcNow());
        var created = c.Execute("insert or ignore into git_remotes (app, allow_force, created_at) values (@app, @allowForce, @now)",
            new { app, allowForce = allowForce ? 1 : 0, now }, tx) > 0;
        if (created)
        {
            foreach (var rule in rules)
            {
                c.Execute("insert into git_branches (app, pattern, env, created_at) values (@app, @Pattern, @Env, @now)",
                    new { app, rule.Pattern, rule.Env, now }, tx);
            }
        }
        else
        {
            c.Execute("update git_remotes set allow_force = @allowForce where app = @app", new { app, allowForce = allowForce ? 1 : 0 }, tx);
        }
        tx.Commit();
        return created;
    }

    public bool Delete(string app)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        c.Execute("delete from git_branches where app = @app", new { app }, tx);
        c.Execute("delete from git_deliveries where app = @app", new { app }, tx);
        c.Execute("delete from git_previews where app = @app", new { app }, tx);
        // Another repository may be connected next, whose pull requests reuse these numbers.
        c.Execute("delete from git_closed_pulls where app = @app", new { app }, tx);
        c.Execute("delete from git_pulls_seen where app = @app", new { app }, tx);
        var deleted = c.Execute("delete from git_remotes where app = @app", new { app }, tx) > 0;
        tx.Commit();
        return deleted;
    }

    public IReadOnlyList<BranchRule> Rules(string app)
    {
        using var c = Open();
        return c.Query<BranchRule>("select pattern, env from git_branches where app = @app order by pattern", new { app }).AsList();
    }

    public void Map(string app, BranchRule rule)
    {
        using var c = Open();
        c.Execute("""
            insert into git_branches (app, pattern, env, created_at) values (@app, @Pattern, @Env, @now)
            on conflict(app, pattern) do update set env = excluded.env
            """, new { app, rule.Pattern, rule.Env, now = UtcTime.Format(clock.GetUtcNow()) });
    }

    public bool Unmap(string app, string pattern)
    {
        using var c = Open();
        return c.Execute("delete from git_branches where app = @app and pattern = @pattern", new { app, pattern }) > 0;
    }

    public ForgeLink? Link(string app)
    {
        using var c = Open();
        var row = c.QuerySingleOrDefault<LinkRow>("""
            select forge, repo_url, webhook_secret_enc, token_enc, api_base from git_remotes where app = @app and forge is not null
            """, new { app });
        return row is null ? null : new ForgeLink(JsonSpellings.Parse<Forges.Forge>(row.Forge), row.RepoUrl, row.WebhookSecretEnc, row.TokenEnc, row.ApiBase);
    }

    public void Connect(string app, ForgeLink link)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var forge = JsonSpellings.Of(link.Forge);
        var same = c.ExecuteScalar<long>("select count(*) from git_remotes where app = @app and forge = @forge and repo_url = @RepoUrl",
            new { app, forge, link.RepoUrl }, tx) > 0;
        if (!same)
        {
            // Another repository: its pull requests reuse the numbers of the one before, whose closes and times no longer apply.
            c.Execute("delete from git_closed_pulls where app = @app", new { app }, tx);
            c.Execute("delete from git_pulls_seen where app = @app", new { app }, tx);
        }
        c.Execute("""
            update git_remotes set forge = @forge, repo_url = @RepoUrl, webhook_secret_enc = @WebhookSecretEnc, token_enc = @TokenEnc, api_base = @ApiBase
            where app = @app
            """, new { app, forge, link.RepoUrl, link.WebhookSecretEnc, link.TokenEnc, link.ApiBase }, tx);
        tx.Commit();
    }

    public bool Disconnect(string app)
    {
        using var c = Open();
        return c.Execute("""
            update git_remotes set forge = null, repo_url = null, webhook_secret_enc = null, token_enc = null, api_base = null
            where app = @app and forge is not null
            """, new { app }) > 0;
    }

    /// <summary>Whether a delivery with this id was acted on already (deployed or ignored; a refused or failed one may come
    /// again: redelivered once its cause is fixed).</summary>
    public bool Handled(string app, Forges.Forge forge, string delivery)
    {
        using var c = Open();
        return c.ExecuteScalar<long>("""
            select count(*) from git_deliveries where app = @app and forge = @forge and delivery = @delivery and outcome in ('deployed', 'ignored', 'queued', 'done')
            """, new { app, forge = JsonSpellings.Of(forge), delivery }) > 0;
    }

    /// <summary>Records a delivery; an app keeps its last <see cref="KeptDeliveries"/> acted on (deployed, queued, done, ignored)
    /// and as many others (refused, failed, duplicates).</summary>
    public void Record(string app, Forges.Forge forge, string? delivery, string? eventName, DeliveryOutcome outcome, string? detail, string? deploymentId)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        c.Execute("""
            insert into git_deliveries (app, forge, delivery, event, received_at, outcome, detail, deployment_id)
            values (@app, @forge, @delivery, @eventName, @now, @outcome, @detail, @deploymentId)
            """, new { app, forge = JsonSpellings.Of(forge), delivery, eventName, now = UtcTime.Format(clock.GetUtcNow()), outcome = JsonSpellings.Of(outcome),
                detail, deploymentId }, tx);
        // Acted-on deliveries are kept apart from the rest: a flood of unsigned requests (recorded as refused) must not
        // push out the records that keep a captured, signed delivery from being acted on again.
        var acted = outcome is DeliveryOutcome.Deployed or DeliveryOutcome.Queued or DeliveryOutcome.Done or DeliveryOutcome.Ignored;
        c.Execute($"""
            delete from git_deliveries where app = @app and {(acted ? "" : "not ")}(outcome in ('deployed', 'ignored', 'queued', 'done')) and id <= (
                select id from git_deliveries where app = @app and {(acted ? "" : "not ")}(outcome in ('deployed', 'ignored', 'queued', 'done'))
                order by id desc limit 1 offset @KeptDeliveries)
            """, new { app, KeptDeliveries }, tx);
        tx.Commit();
    }

    public const int KeptDeliveries = 500;

    /// <summary>Every delivery still queued that was received before <paramref name="before"/>: failed, with why.</summary>
    public void FailQueuedBefore(DateTimeOffset before, string why)
    {
        using var c = Open();
        c.Execute("update git_deliveries set outcome = 'failed', detail = @why where outcome = 'queued' and received_at < @before",
            new { why, before = UtcTime.Format(before) });
    }

    /// <summary>A queued delivery whose work ended: done, or failed with <paramref name="error"/> (so the forge's
    /// redelivery is acted on again).</summary>
    public void SettleQueued(string app, Forges.Forge forge, string delivery, string? error)
    {
        using var c = Open();
        c.Execute("""
            update git_deliveries set outcome = @outcome, detail = coalesce(@error, detail)
            where app = @app and forge = @forge and delivery = @delivery and outcome = 'queued'
            """, new { app, forge = JsonSpellings.Of(forge), delivery, error, outcome = JsonSpellings.Of(error is null ? DeliveryOutcome.Done : DeliveryOutcome.Failed) });
    }

    public IReadOnlyList<DeliveryRecord> Deliveries(string app, int limit)
    {
        using var c = Open();
        return c.Query<DeliveryRecord>("""
            select id, app, forge, delivery, event, received_at, outcome, detail, deployment_id from git_deliveries
            where app = @app order by id desc limit @limit
            """, new { app, limit }).AsList();
    }

    /// <summary>Whether pull requests get previews, after how long without a change a preview is removed, and which
    /// environment's databases a new preview's are branched from, with their rows or not.</summary>
    public PreviewSettings PreviewSettings(string app)
    {
        using var c = Open();
        var row = c.QuerySingleOrDefault<(long On, long Hours, string? From, long Data, long ForkSecrets, string? Domain, long Crons)>("""
            select previews, preview_ttl_hours, preview_db_from, preview_db_data, preview_fork_secrets, preview_domain, preview_crons
            from git_remotes where app = @app
            """, new { app });
        return new PreviewSettings(row.On != 0, TimeSpan.FromHours(row.Hours == 0 ? 168 : row.Hours), row.From ?? "staging", row.Data != 0, row.ForkSecrets != 0,
            row.Domain, row.Crons != 0);
    }

    public void SetPreviews(string app, PreviewSettings settings)
    {
        using var c = Open();
        c.Execute("""
            update git_remotes set previews = @on, preview_ttl_hours = @hours, preview_db_from = @DatabasesFrom, preview_db_data = @data,
                preview_fork_secrets = @forkSecrets, preview_domain = @Domain, preview_crons = @crons where app = @app
            """, new
        {
            app, on = settings.On ? 1 : 0, hours = (long)Math.Ceiling(settings.Ttl.TotalHours), settings.DatabasesFrom, data = settings.WithData ? 1 : 0,
            forkSecrets = settings.ForkSecrets ? 1 : 0, settings.Domain, crons = settings.Crons ? 1 : 0,
        });
    }

    public PreviewRecord? FindPreview(string app, long number)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<PreviewRow>("select * from git_previews where app = @app and number = @number", new { app, number })?.ToRecord();
    }

    public IReadOnlyList<PreviewRecord> Previews(string? app = null)
    {
        using var c = Open();
        return c.Query<PreviewRow>("select * from git_previews where @app is null or app = @app order by app, number", new { app })
            .Select(r => r.ToRecord()).ToList();
    }

    public void SavePreview(PreviewRecord preview)
    {
        using var c = Open();
        c.Execute("""
            insert into git_previews (app, number, head_sha, head_branch, clone_url, from_fork, title, author, state, detail, deployment_id, created_at, updated_at,
                pull_updated_at)
            values (@App, @Number, @HeadSha, @HeadBranch, @CloneUrl, @FromFork, @Title, @Author, @state, @Detail, @DeploymentId, @CreatedAt, @UpdatedAt,
                @PullUpdatedAt)
            on conflict(app, number) do update set head_sha = excluded.head_sha, head_branch = excluded.head_branch, clone_url = excluded.clone_url,
                from_fork = excluded.from_fork, title = excluded.title, author = excluded.author, state = excluded.state, detail = excluded.detail,
                deployment_id = excluded.deployment_id, updated_at = excluded.updated_at,
                pull_updated_at = git_previews.pull_updated_at
            """, new
        {
            preview.App, preview.Number, preview.HeadSha, preview.HeadBranch, preview.CloneUrl, FromFork = preview.FromFork ? 1 : 0, preview.Title,
            preview.Author, state = JsonSpellings.Of(preview.State), preview.Detail, preview.DeploymentId,
            CreatedAt = UtcTime.Format(preview.CreatedAt), UpdatedAt = UtcTime.Format(preview.UpdatedAt),
            PullUpdatedAt = (string?)null,
        });
    }

    /// <summary>Keeps <paramref name="updatedAt"/> as the newest forge time of an opening, reopen or update taken for
    /// #<paramref name="number"/> (of two in one second, a reopen's); marks older than <paramref name="keep"/> go.</summary>
    public void NotePullSeen(string app, long number, DateTimeOffset updatedAt, bool reopened, TimeSpan keep)
    {
        using var c = Open();
        var now = clock.GetUtcNow();
        c.Execute("delete from git_pulls_seen where noted_at < @before", new { before = UtcTime.Format(now - keep) });
        c.Execute("""
            insert into git_pulls_seen (app, number, updated_at, reopened, noted_at) values (@app, @number, @at, @reopened, @now)
            on conflict(app, number) do update set updated_at = excluded.updated_at, reopened = excluded.reopened, noted_at = excluded.noted_at
            where excluded.updated_at > git_pulls_seen.updated_at or (excluded.updated_at = git_pulls_seen.updated_at and excluded.reopened > git_pulls_seen.reopened)
            """, new { app, number, at = UtcTime.Format(updatedAt), reopened = reopened ? 1 : 0, now = UtcTime.Format(now) });
    }

    /// <summary>The newest opening, reopen or update taken for #<paramref name="number"/> in the last <paramref name="keep"/>.</summary>
    public SeenPull? PullSeen(string app, long number, TimeSpan keep)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<SeenPullRow>(
            "select updated_at, reopened from git_pulls_seen where app = @app and number = @number and noted_at >= @since",
            new { app, number, since = UtcTime.Format(clock.GetUtcNow() - keep) })?.ToRecord();
    }

    private sealed record SeenPullRow(DateTimeOffset UpdatedAt, long Reopened)
    {
        public SeenPull ToRecord() => new(UpdatedAt, Reopened != 0);
    }

    /// <summary>The forge's comment about the preview (its row may be gone already: then nothing is kept).</summary>
    public void SetPreviewComment(string app, long number, string commentId)
    {
        using var c = Open();
        c.Execute("update git_previews set comment_id = @commentId where app = @app and number = @number", new { app, number, commentId });
    }

    public void DeletePreview(string app, long number)
    {
        using var c = Open();
        c.Execute("delete from git_previews where app = @app and number = @number", new { app, number });
    }

    /// <summary>Marks #<paramref name="number"/> closed (a later close replaces an earlier one); marks older than
    /// <paramref name="keep"/> go.</summary>
    public void MarkClosed(string app, long number, DateTimeOffset at, DateTimeOffset? pullUpdatedAt, TimeSpan keep)
    {
        using var c = Open();
        c.Execute("delete from git_closed_pulls where closed_at < @before", new { before = UtcTime.Format(at - keep) });
        c.Execute("""
            insert into git_closed_pulls (app, number, closed_at, pull_updated_at) values (@app, @number, @at, @updated)
            on conflict(app, number) do update set closed_at = excluded.closed_at, pull_updated_at = excluded.pull_updated_at
            """, new { app, number, at = UtcTime.Format(at), updated = pullUpdatedAt is { } u ? UtcTime.Format(u) : null });
    }

    public ClosedPull? FindClosed(string app, long number, TimeSpan keep)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<ClosedPull>(
            "select closed_at as ClosedAt, pull_updated_at as PullUpdatedAt from git_closed_pulls where app = @app and number = @number and closed_at >= @since",
            new { app, number, since = UtcTime.Format(clock.GetUtcNow() - keep) });
    }

    public void ClearClosed(string app, long number)
    {
        using var c = Open();
        c.Execute("delete from git_closed_pulls where app = @app and number = @number", new { app, number });
    }

    private sealed record PreviewRow(string App, long Number, string HeadSha, string HeadBranch, string CloneUrl, long FromFork, string? Title, string? Author,
        string State, string? Detail, string? DeploymentId, string? CommentId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
        DateTimeOffset? PullUpdatedAt) // Column of step 16, no longer written (git_pulls_seen has it).
    {
        public PreviewRecord ToRecord() => new(App, Number, HeadSha, HeadBranch, CloneUrl, FromFork != 0, Title, Author,
            JsonSpellings.Parse<PreviewState>(State), Detail, DeploymentId, CreatedAt, UpdatedAt, CommentId);
    }

    private sealed record LinkRow(string Forge, string RepoUrl, string WebhookSecretEnc, string? TokenEnc, string? ApiBase);

    private sealed record Row(string App, long AllowForce, DateTimeOffset CreatedAt)
    {
        public GitRemoteRecord ToRecord() => new(App, AllowForce != 0, CreatedAt);
    }
}
