using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Slipway.State;

namespace Slipway.Jobs;

/// <summary>Delivers due messages, at least once: a message stays "pending" in SQLite until an attempt gets a
/// 2xx answer, so a platform stopped or killed mid-delivery sends it again after its restart.
///
///   pending, due ──► POST (signed) ──► 2xx ──► delivered
///                        │ network error, timeout, non-2xx
///                        ├─ attempts left: pending again at now + backoff·2^(attempt-1)
///                        └─ none left: dead (event message.dead; `slipway messages retry ID` resends)
/// </summary>
internal sealed partial class MessageDelivery(
    JobStore jobs,
    Store store,
    JobSecrets secrets,
    MessageSealer sealer,
    AppTargets targets,
    JobsClock jobsClock,
    TimeProvider clock,
    ILogger<MessageDelivery> logger) : BackgroundService
{
    private const int MaxInFlight = 16;
    private const int PageSize = 64;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(30);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly ConcurrentDictionary<string, Task> _inFlight = new();
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>A message was published or requeued: look now rather than at the next poll.</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastPrune = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                DeliverDue(stoppingToken);
                if (jobsClock.Now - lastPrune > TimeSpan.FromHours(1))
                {
                    lastPrune = jobsClock.Now;
                    jobs.PruneDelivered(lastPrune);
                }
                await _wake.WaitAsync(PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                LogLoopFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        // Attempts in flight end with the token; their messages stay pending and go out after the restart.
        await Task.WhenAll(_inFlight.Values);
    }

    private void DeliverDue(CancellationToken token)
    {
        // Due messages that cannot go yet (their app stopped or starting) are passed over page by page, so they
        // never hold back the messages behind them; an app with no running release is left out of later pages.
        var notServing = new List<string>();
        MessageRecord? after = null;
        while (_inFlight.Count < MaxInFlight)
        {
            var page = jobs.DueMessages(jobsClock.Now, PageSize, after, notServing);
            if (page.Count == 0)
            {
                return;
            }
            foreach (var message in page)
            {
                after = message;
                if (_inFlight.Count >= MaxInFlight)
                {
                    return;
                }
                if (_inFlight.ContainsKey(message.Id))
                {
                    continue;
                }
                if (!ReadyFor(message))
                {
                    if (targets.Serving(message.App) is null && !notServing.Contains(message.App))
                    {
                        notServing.Add(message.App);
                    }
                    continue;
                }
                Start(message, token);
            }
        }
    }

    private void Start(MessageRecord message, CancellationToken token)
    {
        var started = new TaskCompletionSource();
        var task = Task.Run(async () =>
        {
            await started.Task;
            try
            {
                await DeliverAsync(message, token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                LogDeliveryBug(logger, message.Id, e);
            }
            finally
            {
                _inFlight.TryRemove(message.Id, out _);
            }
        }, CancellationToken.None);
        _inFlight[message.Id] = task;
        started.SetResult();
    }

    /// <summary>A message waits, without using up an attempt, while its app is not serving (stopped, or its
    /// instances still starting after a deploy or a platform restart).</summary>
    private bool ReadyFor(MessageRecord message)
    {
        if (message.Url is not null)
        {
            // Whether its host is still allowed is read from the live release's config.
            return targets.Live(message.App) is not null;
        }
        var (url, _) = targets.Resolve(message.App, message.Service, message.Path!, out var temporary);
        return url is not null || !temporary;
    }

    private async Task DeliverAsync(MessageRecord listed, CancellationToken token)
    {
        // The row as it is now: the list it came from was read before an earlier attempt of it may have ended
        // (delivered, or pending again after its backoff), and that attempt must not be repeated at once.
        if (jobs.FindMessage(listed.Id) is not { Status: MessageStatus.Pending } message || message.Attempts != listed.Attempts ||
            JobTime.Parse(message.NotBefore) > jobsClock.Now)
        {
            return;
        }
        var attempt = message.Attempts + 1;
        var (status, error) = await AttemptAsync(message, attempt, token);
        token.ThrowIfCancellationRequested();
        var now = jobsClock.Now;
        if (status is >= 200 and < 300)
        {
            jobs.RecordAttempt(message.Id, MessageStatus.Delivered, attempt, status, null, JobTime.Parse(message.NotBefore), now);
            LogDelivered(logger, message.App, message.Id, attempt);
            return;
        }
        error ??= $"answered {status}";
        if (attempt > message.Retries)
        {
            jobs.RecordAttempt(message.Id, MessageStatus.Dead, attempt, status, error, JobTime.Parse(message.NotBefore), now);
            store.AddEvent(message.App, null, "message.dead",
                $"message {message.Id} to {MessageView.Of(message).Target} failed {attempt} time(s) (last: {error}); resend it with 'slipway messages retry {message.Id}'");
            LogDead(logger, message.App, message.Id, attempt, error);
            return;
        }
        var backoff = TimeSpan.FromMilliseconds(message.BackoffMs * Math.Pow(2, attempt - 1));
        jobs.RecordAttempt(message.Id, MessageStatus.Pending, attempt, status, error, now + backoff, now);
    }

    /// <summary>One attempt: the HTTP status, or null and why it got none.</summary>
    private async Task<(int? Status, string? Error)> AttemptAsync(MessageRecord message, long attempt, CancellationToken token)
    {
        Uri url;
        if (message.Url is not null)
        {
            url = new Uri(message.Url);
            if (targets.Live(message.App) is not { } live || !PublishRequest.HostAllowed(url, live.Config))
            {
                return (null, $"{url.Host} is no longer in the app's {PublishRequest.AllowedHostsVariable}; nothing was sent");
            }
        }
        else
        {
            var (resolved, problem) = targets.Resolve(message.App, message.Service, message.Path!);
            if (resolved is null)
            {
                return (null, problem);
            }
            url = resolved;
        }
        var (headersJson, body) = sealer.Open(message);
        using var request = new HttpRequestMessage(new HttpMethod(message.Method), url);
        var content = new ByteArrayContent(body);
        foreach (var (name, value) in JsonSerializer.Deserialize<Dictionary<string, string>>(headersJson, Json) ?? [])
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                content.Headers.TryAddWithoutValidation(name, value);
            }
        }
        if (body.Length > 0 || message.Method is not ("GET" or "DELETE"))
        {
            content.Headers.ContentType ??= new MediaTypeHeaderValue("application/octet-stream");
            request.Content = content;
        }
        else
        {
            content.Dispose();
        }
        request.Headers.UserAgent.ParseAdd("slipway-messages/1");
        request.Headers.Add("Slipway-Message-Id", message.Id);
        request.Headers.Add("Slipway-Attempt", attempt.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(MessageSigner.Header, MessageSigner.Sign(secrets.For(message.App)[JobSecrets.SigningKey], clock.GetUtcNow(), body));
        using var timeout = new CancellationTokenSource(AttemptTimeout, clock);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, both.Token);
            return ((int)response.StatusCode, null);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !token.IsCancellationRequested)
        {
            return (null, $"no answer within {AttemptTimeout.TotalSeconds:0}s");
        }
        catch (HttpRequestException e)
        {
            return (null, e.Message);
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _http.Dispose();
        _wake.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Message {MessageId} of {App} delivered (attempt {Attempt})")]
    private static partial void LogDelivered(ILogger logger, string app, string messageId, long attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId} of {App} is dead after {Attempt} attempt(s): {Error}")]
    private static partial void LogDead(ILogger logger, string app, string messageId, long attempt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "The message delivery loop failed")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivering message {MessageId} failed with an internal error")]
    private static partial void LogDeliveryBug(ILogger logger, string messageId, Exception exception);
}
