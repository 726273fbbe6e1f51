using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Slipway.Config;
using Slipway.Deploy;
using Slipway.Manifests;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Jobs;

/// <summary>Runs one cron job run: the HTTP request or the one-off process, with the job's timeout, retries
/// and concurrency policy, and records it in the run history.
///
///   due ──► previous run still going? ──(skip)──► "skipped" row
///             │ no (or "allow")
///             ▼
///           "running" row ──► attempt ──► 2xx / exit 0 ──► "succeeded"
///                               │ fail, retries left: wait backoff·2^n, attempt again
///                               ▼ none left
///                            "failed" / "timed-out" (+ event cron.failed)
/// </summary>
internal sealed partial class CronRunner(
    JobStore jobs,
    Store store,
    AppTargets targets,
    JobEnvironment jobEnvironment,
    ProcessEnvironment environments,
    Deploy.AppIsolation isolation,
    IProcessLauncher launcher,
    LogStore logs,
    SecretRedactor redactor,
    JobsClock jobsClock,
    TimeProvider clock,
    JobMetrics metrics,
    ILogger<CronRunner> logger) : IDisposable, Deploy.IAppActivity
{
    private const int TailLines = 40;
    private const int TailChars = 4000;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, Task>> _running = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, (string App, CancellationTokenSource Cancel)> _cancels = new();
    private readonly Lock _start = new();

    /// <summary>Starts a run of <paramref name="job"/> (or records it skipped) and returns its row at once.</summary>
    public CronRunRecord Start(string app, CronSpec job, string trigger, DateTimeOffset? scheduledAt, string? skipReason = null)
    {
        var release = targets.Live(app);
        var key = app + "/" + job.Name;
        CronRunRecord run;
        lock (_start)
        {
            var running = _running.GetOrAdd(key, _ => new ConcurrentDictionary<string, Task>());
            if (skipReason is null && job.Concurrency == CronConcurrency.Skip && !running.IsEmpty)
            {
                skipReason = $"the previous run ({running.Keys.First()}) was still running (concurrency: skip)";
            }
            run = new CronRunRecord(Ids.New("r"), app, job.Name, release?.DeploymentId, trigger,
                scheduledAt is { } at ? JobTime.Format(at) : null, JobTime.Format(jobsClock.Now),
                skipReason is null ? null : JobTime.Format(jobsClock.Now), skipReason is null ? CronRunStatus.Running : CronRunStatus.Skipped,
                0, null, null, null, null, skipReason);
            jobs.InsertRun(run);
            if (skipReason is not null)
            {
                LogSkipped(logger, app, job.Name, skipReason);
                return run;
            }
            var started = new TaskCompletionSource();
            var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            _cancels[run.Id] = (app, cancel);
            var task = Task.Run(async () =>
            {
                await started.Task;
                try
                {
                    await ExecuteAsync(run, job, release, cancel.Token);
                }
                finally
                {
                    running.TryRemove(run.Id, out _);
                    _cancels.TryRemove(run.Id, out _);
                    cancel.Dispose();
                }
            });
            running[run.Id] = task;
            started.SetResult();
        }
        return run;
    }

    /// <summary>Waits for every run in progress of <paramref name="app"/>'s <paramref name="job"/> (tests, CLI).</summary>
    public Task WaitAsync(string app, string job) =>
        _running.TryGetValue(app + "/" + job, out var running) ? Task.WhenAll(running.Values) : Task.CompletedTask;

    /// <summary>Destroy: cancels the app's runs in progress and waits until they ended (their process trees stopped).</summary>
    public async Task StopRunsAsync(string key)
    {
        var runs = _running.Where(kv => kv.Key.StartsWith(key + "/", StringComparison.Ordinal)).SelectMany(kv => kv.Value.Values).ToList();
        CancelRunsOf(app => app == key);
        await Task.WhenAll(runs);
    }

    /// <summary>Stops the runs in progress of apps that were stopped or destroyed (the scheduler asks every tick).</summary>
    public void CancelRunsOf(Func<string, bool> appStopped)
    {
        foreach (var (_, (app, cancel)) in _cancels)
        {
            if (appStopped(app))
            {
                try
                {
                    cancel.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The run ended meanwhile.
                }
            }
        }
    }

    private async Task ExecuteAsync(CronRunRecord run, CronSpec job, Release? release, CancellationToken token)
    {
        var watch = Stopwatch.StartNew();
        Attempt result = new(CronRunStatus.Failed, null, null, null, "the app has no running release (stopped, or not deployed)");
        var attempts = 0;
        try
        {
            while (release is not null)
            {
                attempts++;
                result = job.Command is not null ? await RunCommandAsync(run, job, release, token) : await RequestAsync(run, job, release, token);
                token.ThrowIfCancellationRequested();
                if (result.Status == CronRunStatus.Succeeded || attempts > job.Retries)
                {
                    break;
                }
                var backoff = job.RetryBackoff * Math.Pow(2, attempts - 1);
                Platform(run, $"attempt {attempts} {result.Status}: {result.Error}; retrying in {Durations.Format(backoff)}", LogSeverity.Warn);
                await Task.Delay(backoff, clock, token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            result = result with
            {
                Status = CronRunStatus.Interrupted,
                Error = _stopping.IsCancellationRequested ? "the platform stopped while this run was in progress" : "the app was stopped while this run was in progress",
            };
        }
        catch (Exception e)
        {
            LogBug(logger, run.App, run.Job, e);
            result = result with { Status = CronRunStatus.Failed, Error = $"internal error: {e.Message} (details in the platform log)" };
        }
        var finished = run with
        {
            FinishedAt = JobTime.Format(jobsClock.Now),
            Status = result.Status,
            Attempts = attempts,
            HttpStatus = result.HttpStatus,
            ExitCode = result.ExitCode,
            DurationMs = watch.ElapsedMilliseconds,
            Output = result.Output is null ? null : redactor.Redact(run.App, result.Output),
            Error = result.Error is null ? null : redactor.Redact(run.App, result.Error),
        };
        jobs.FinishRun(finished);
        metrics.Finished(finished);
        if (finished.Status is CronRunStatus.Failed or CronRunStatus.TimedOut)
        {
            store.AddEvent(run.App, run.DeploymentId, "cron.failed", $"cron job {run.Job} run {run.Id} {finished.Status} after {attempts} attempt(s): {finished.Error}");
        }
        LogFinished(logger, run.App, run.Job, run.Id, finished.Status);
    }

    private async Task<Attempt> RequestAsync(CronRunRecord run, CronSpec job, Release release, CancellationToken token)
    {
        var (url, problem) = await targets.ResolveWhenReadyAsync(run.App, job.Service, job.Path!, ReadyTimeout, clock, token);
        if (url is null)
        {
            return new Attempt(CronRunStatus.Failed, null, null, null, problem);
        }
        using var timeout = new CancellationTokenSource(job.Timeout, clock);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);
        using var request = new HttpRequestMessage(new HttpMethod(job.Method), url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", jobEnvironment.CronSecretOf(run.App, release.Config));
        request.Headers.UserAgent.ParseAdd("slipway-cron/1");
        request.Headers.Add("X-Slipway-Cron-Job", job.Name);
        request.Headers.Add("X-Slipway-Cron-Run", run.Id);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, both.Token);
            var body = await response.Content.ReadAsStringAsync(both.Token);
            var code = (int)response.StatusCode;
            var tail = body.Length > TailChars ? body[^TailChars..] : body;
            return code is >= 200 and < 300
                ? new Attempt(CronRunStatus.Succeeded, code, null, tail, null)
                : new Attempt(CronRunStatus.Failed, code, null, tail, $"{job.Method} {job.Path} answered {code}");
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !token.IsCancellationRequested)
        {
            return new Attempt(CronRunStatus.TimedOut, null, null, null, $"{job.Method} {job.Path} did not answer within {Durations.Format(job.Timeout)}");
        }
        catch (HttpRequestException e)
        {
            return new Attempt(CronRunStatus.Failed, null, null, null, $"{job.Method} {job.Path} failed: {e.Message}");
        }
    }

    private async Task<Attempt> RunCommandAsync(CronRunRecord run, CronSpec job, Release release, CancellationToken token)
    {
        var service = job.Service is null
            ? release.Spec.Services.FirstOrDefault(s => s.Type != ServiceType.Static)
            : release.Spec.Services.FirstOrDefault(s => s.Name == job.Service);
        if (service is null)
        {
            return new Attempt(CronRunStatus.Failed, null, null, null, "the live release has no web or worker service to run the command in");
        }
        // The same environment an instance of the service gets: its release's config and what the platform adds.
        var env = environments.For(release, service);
        env["SLIPWAY_CRON_JOB"] = job.Name;
        env["SLIPWAY_CRON_RUN_ID"] = run.Id;
        var tail = new Queue<string>();
        void OnLine(OutputLine line)
        {
            lock (tail)
            {
                tail.Enqueue(line.Text);
                while (tail.Count > TailLines)
                {
                    tail.Dequeue();
                }
            }
            logs.Append(LogKeys.App(run.App), LogEntry.Output(line, release.DeploymentId, "cron:" + job.Name, run.Id));
        }
        var process = launcher.Start(new LaunchSpec(job.Command!, release.ServiceDir(service), env)
        {
            Isolation = isolation.ForService(release, service, "cron-" + run.Id),
        }, OnLine);
        await using (process)
        {
            var finished = await Task.WhenAny(process.Exited, Task.Delay(job.Timeout, clock, token).ContinueWith(_ => { }, TaskScheduler.Default));
            var timedOut = finished != process.Exited && !token.IsCancellationRequested;
            if (finished != process.Exited)
            {
                await process.StopAsync(StopGrace);
            }
            var exit = await process.Exited;
            string Tail()
            {
                lock (tail)
                {
                    return string.Join("\n", tail);
                }
            }
            if (token.IsCancellationRequested)
            {
                return new Attempt(CronRunStatus.Interrupted, null, exit, Tail(), null);
            }
            if (timedOut)
            {
                return new Attempt(CronRunStatus.TimedOut, null, exit, Tail(), $"still running after {Durations.Format(job.Timeout)}: stopped");
            }
            return exit == 0
                ? new Attempt(CronRunStatus.Succeeded, null, 0, Tail(), null)
                : new Attempt(CronRunStatus.Failed, null, exit, Tail(), Runtime.ExitCodes.Describe(exit));
        }
    }

    private void Platform(CronRunRecord run, string message, LogSeverity? level = null) =>
        logs.Append(LogKeys.App(run.App), new LogEntry(clock.GetUtcNow(), "platform", message, run.DeploymentId, "cron:" + run.Job, run.Id, level));

    /// <summary>Platform shutdown: runs in progress are stopped (their processes too) and recorded interrupted.</summary>
    public async Task StopAllAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_running.Values.SelectMany(r => r.Values));
    }

    /// <summary>After <see cref="StopAllAsync"/>, when the platform's services are disposed.</summary>
    public void Dispose()
    {
        _http.Dispose();
        _stopping.Dispose();
    }

    private sealed record Attempt(string Status, int? HttpStatus, int? ExitCode, string? Output, string? Error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cron {App}/{Job} skipped: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string app, string job, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cron {App}/{Job} run {RunId} {Status}")]
    private static partial void LogFinished(ILogger logger, string app, string job, string runId, string status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cron {App}/{Job} failed with an internal error")]
    private static partial void LogBug(ILogger logger, string app, string job, Exception exception);
}
