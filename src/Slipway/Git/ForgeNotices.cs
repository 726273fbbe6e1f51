using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Slipway.Config;
using Slipway.Git.Forges;

namespace Slipway.Git;

/// <summary>What Slipway tells a forge about the commits it deploys: a commit status per environment, and on a pull
/// request one comment with its preview's URL, edited as the preview changes. Nothing here ever waits in a deployment's
/// way: a notice is queued and sent in the background, retried with backoff (1 s doubling to a minute, with jitter, for
/// <see cref="ForgeNoticeOptions.Attempts"/> attempts) while the forge is down or answers 429/5xx, and given up with a
/// warning in the platform log when it refuses (a token without the right to post statuses or comments).
///
///   Status(sha, context, state) ─┐                       ┌─► newer notice for the same key? drop this one
///   Comment(pull, text) ─────────┴─► mailbox per key ─► send ─► 2xx: done · 404 on an edited comment: create it again
///                                   (latest wins)            └─► down/429/5xx: retry · other 4xx: give up, logged
///
/// Notices with one key (one commit's status in one context, one pull request's comment) are sent in order, one at a
/// time, and a newer one replaces one still waiting, so a slow forge never ends on "pending" after "success".</summary>
internal sealed partial class ForgeNotices : IDisposable
{
    private readonly GitStore _store;
    private readonly Keyring _keyring;
    private readonly Deploy.DeployEngine _engine;
    private readonly State.Store _state;
    private readonly Deploy.AppHosts _hosts;
    private readonly Edge.EdgeServer _edge;
    private readonly ForgeNoticeOptions _options;
    private readonly ILogger<ForgeNotices> _logger;
    private readonly HttpClient _http;
    private readonly ResiliencePipeline<Attempt> _retry;
    private readonly ConcurrentDictionary<string, Mailbox> _boxes = new();
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    public ForgeNotices(GitStore store, Keyring keyring, Deploy.DeployEngine engine, State.Store state, Deploy.AppHosts hosts, Edge.EdgeServer edge,
        ForgeNoticeOptions options, TimeProvider clock, ILogger<ForgeNotices> logger)
    {
        _edge = edge;
        _store = store;
        _keyring = keyring;
        _engine = engine;
        _state = state;
        _hosts = hosts;
        _options = options;
        _logger = logger;
#pragma warning disable CA2000 // the HttpClient owns the handler and disposes it with itself
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false })
        {
            Timeout = options.AttemptTimeout,
        };
#pragma warning restore CA2000
        _retry = new ResiliencePipelineBuilder<Attempt> { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions<Attempt>
            {
                MaxRetryAttempts = options.Attempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBase,
                MaxDelay = options.RetryCap,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result?.Retry ?? args.Outcome.Exception is HttpRequestException or TaskCanceledException),
            })
            .Build();
    }

    /// <summary>Sets <paramref name="sha"/>'s status in <paramref name="context"/> (slipway/production, slipway/pr-7).</summary>
    public void Status(string app, ForgeLink link, string sha, string context, CommitState state, string description, string? targetUrl) =>
        Post(new StatusNotice(app, link, sha, context, state, description, targetUrl));

    /// <summary>Writes pull request <paramref name="number"/>'s one comment: created the first time, then edited (its id is
    /// kept with the preview; <paramref name="knownId"/> when the preview is gone already).</summary>
    public void Comment(string app, ForgeLink link, long number, string text, string? knownId = null) =>
        Post(new CommentNotice(app, link, number, text, knownId));

    /// <summary>Runs <paramref name="finished"/> with the deployment once it ended (live, failed or cancelled).</summary>
    public void Follow(string deploymentId, Action<State.DeploymentRecord> finished) => Track(Task.Run(async () =>
    {
        try
        {
            await _engine.WaitAsync(deploymentId);
            if (_state.FindDeployment(deploymentId) is { } deployment)
            {
                finished(deployment);
            }
        }
        catch (Exception e)
        {
            LogBug(_logger, deploymentId, "the outcome of the deployment", e);
        }
    }));

    /// <summary>Where an environment serves, for a status's link: its first custom domain over HTTPS, else APP.localhost
    /// through the edge (with its port unless 80).</summary>
    public string UrlOf(string key) => _hosts.ExtraOf(key) is [var domain, ..] ? _edge.HttpsUrlOf(domain) : LocalUrlOf(key);

    /// <summary>A custom domain's address through the edge: HTTPS when it serves it.</summary>
    public string DomainUrlOf(string host) => _edge.HttpsUrlOf(host);

    /// <summary>The environment's own name under .localhost, through the edge.</summary>
    public string LocalUrlOf(string key) => _edge.UrlOf(key + ".localhost");

    /// <summary>Waits until every notice queued so far was sent or given up (tests, shutdown).</summary>
    public async Task IdleAsync()
    {
        while (!_running.IsEmpty)
        {
            await Task.WhenAll(_running.Keys);
        }
    }

    public void Dispose() => _http.Dispose();

    private void Post(ForgeNotice notice)
    {
        if (notice.Link.TokenEnc is null)
        {
            // Without a token nothing can be posted; `git connect` said so when the app was connected.
            return;
        }
        while (true)
        {
            var box = _boxes.GetOrAdd(notice.Key, key => new Mailbox(key));
            lock (box)
            {
                if (box.Removed)
                {
                    continue;
                }
                box.Next = notice;
                if (box.Running)
                {
                    return;
                }
                box.Running = true;
            }
            Track(Task.Run(() => DrainAsync(box)));
            return;
        }
    }

    private void Track(Task task)
    {
        _running[task] = 0;
        task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
    }

    private async Task DrainAsync(Mailbox box)
    {
        while (true)
        {
            ForgeNotice notice;
            lock (box)
            {
                if (box.Next is null)
                {
                    box.Running = false;
                    box.Removed = true;
                    _boxes.TryRemove(new KeyValuePair<string, Mailbox>(box.Key, box));
                    return;
                }
                notice = box.Next;
                box.Next = null;
            }
            try
            {
                var last = await _retry.ExecuteAsync(async token => Superseded(box) ? Attempt.Replaced : await SendAsync(notice, token), CancellationToken.None);
                if (last.Error is not null)
                {
                    LogGaveUp(_logger, notice.App, notice.Describe(), last.Error);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                LogGaveUp(_logger, notice.App, notice.Describe(), e.Message);
            }
            catch (ObjectDisposedException)
            {
                // The platform is stopping: what was not sent yet is dropped (a status is a courtesy, not a record).
                lock (box)
                {
                    box.Running = false;
                    box.Removed = true;
                    _boxes.TryRemove(new KeyValuePair<string, Mailbox>(box.Key, box));
                }
                return;
            }
            catch (Exception e)
            {
                LogBug(_logger, notice.App, notice.Describe(), e);
            }
        }
    }

    private static bool Superseded(Mailbox box)
    {
        lock (box)
        {
            return box.Next is not null;
        }
    }

    private async Task<Attempt> SendAsync(ForgeNotice notice, CancellationToken token)
    {
        var repo = ForgeRepository.Of(notice.Link.Forge, notice.Link.RepoUrl, notice.Link.ApiBase);
        var secret = _keyring.Decrypt(notice.Link.TokenEnc!);
        switch (notice)
        {
            case StatusNotice status:
                using (var request = ForgeApi.Status(repo, secret, status.Sha, status.State, status.Context, status.Description, status.TargetUrl))
                {
                    return (await SendAsync(request, token)).Attempt;
                }
            case CommentNotice comment:
                var id = comment.KnownId ?? _store.FindPreview(comment.App, comment.Number)?.CommentId;
                if (id is not null)
                {
                    using var update = ForgeApi.UpdateComment(repo, secret, comment.Number, id, comment.Text);
                    var (edited, _) = await SendAsync(update, token);
                    if (edited.Status != HttpStatusCode.NotFound)
                    {
                        return edited;
                    }
                    // Someone deleted the comment: write a new one.
                }
                using (var create = ForgeApi.CreateComment(repo, secret, comment.Number, comment.Text))
                {
                    var (created, body) = await SendAsync(create, token);
                    if (created.Error is null && ForgeApi.CommentId(body) is { } newId)
                    {
                        _store.SetPreviewComment(comment.App, comment.Number, newId);
                    }
                    return created;
                }
            default:
                throw new InvalidOperationException("Unknown forge notice " + notice.GetType().Name);
        }
    }

    private async Task<(Attempt Attempt, string Body)> SendAsync(HttpRequestMessage request, CancellationToken token)
    {
        using var response = await _http.SendAsync(request, token);
        var body = await response.Content.ReadAsStringAsync(token);
        var status = response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            return (new Attempt(status, false, null), body);
        }
        var error = $"{request.Method} {request.RequestUri?.GetLeftPart(UriPartial.Path)} answered {(int)status} {response.ReasonPhrase}: {Excerpt(body)}";
        var transient = status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)status >= 500
            // GitHub answers a spent rate limit with 403 and x-ratelimit-remaining: 0.
            || (status == HttpStatusCode.Forbidden && response.Headers.TryGetValues("x-ratelimit-remaining", out var left) && left.FirstOrDefault() == "0");
        return (new Attempt(status, transient, transient ? error : error + TokenHint(status)), body);
    }

    private static string TokenHint(HttpStatusCode status) => status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound
        ? " (the app's forge token needs to write commit statuses and pull request comments; give a new one with: slipway git connect APP ... --token-stdin)"
        : "";

    private static string Excerpt(string body)
    {
        var line = body.ReplaceLineEndings(" ").Trim();
        return line.Length > 200 ? line[..200] + "…" : line;
    }

    /// <summary>How one attempt went: <see cref="Retry"/> when the forge may take it later; <see cref="Error"/> when it
    /// did not take it.</summary>
    private sealed record Attempt(HttpStatusCode? Status, bool Retry, string? Error)
    {
        public static readonly Attempt Replaced = new(null, false, null);
    }

    private sealed class Mailbox(string key)
    {
        public string Key { get; } = key;

        public ForgeNotice? Next { get; set; }

        public bool Running { get; set; }

        public bool Removed { get; set; }
    }

    private abstract record ForgeNotice(string App, ForgeLink Link)
    {
        public abstract string Key { get; }

        public abstract string Describe();
    }

    private sealed record StatusNotice(string App, ForgeLink Link, string Sha, string Context, CommitState State, string Description, string? TargetUrl)
        : ForgeNotice(App, Link)
    {
        public override string Key => $"{App}\n{Sha}\n{Context}";

        public override string Describe() => $"the {Context} status of {Sha[..Math.Min(12, Sha.Length)]} ({State.ToString().ToLowerInvariant()})";
    }

    private sealed record CommentNotice(string App, ForgeLink Link, long Number, string Text, string? KnownId) : ForgeNotice(App, Link)
    {
        public override string Key => $"{App}\n#{Number}";

        public override string Describe() => $"the comment on #{Number}";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The forge of {App} did not take {Notice}: {Error}")]
    private static partial void LogGaveUp(ILogger logger, string app, string notice, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Sending {Notice} to the forge of {App} failed with an internal error")]
    private static partial void LogBug(ILogger logger, string app, string notice, Exception exception);
}

/// <summary>How <see cref="ForgeNotices"/> retries.</summary>
internal sealed class ForgeNoticeOptions
{
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryCap { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>About 5 minutes of a forge being down before a notice is given up.</summary>
    public int Attempts { get; set; } = 10;

    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(15);
}
