using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Slipway.Deploy;
using Slipway.Manifests;
using Slipway.State;

namespace Slipway.Jobs;

/// <summary>Fires cron jobs. The schedule is the live deployment's (each app row's live_deployment_id and its
/// stored spec), so a deploy changes it together with the code and a rollback brings the old one back.
///
/// Each tick, for every job of every running app row:
///   first seen ──► remember now as its last slot (a new job never fires for the past)
///   slots in (last slot, now] ──► none: nothing to do
///                               ├─ latest within LateTolerance of now: run it (on time)
///                               └─ older (the platform was down): missed "run-once" runs it once,
///                                  missed "skip" records one skipped run
///   the last slot moves to the latest slot before the run starts, so a crash never runs a slot twice.
/// </summary>
internal sealed partial class CronScheduler(
    Store store,
    JobStore jobs,
    CronRunner runner,
    JobsClock jobsClock,
    TimeProvider clock,
    Deploy.Recovery recovery,
    IEnumerable<ICronPause> pauses,
    ILogger<CronScheduler> logger) : BackgroundService
{
    /// <summary>A slot older than this when seen counts as missed (the platform was down at the time).</summary>
    public static readonly TimeSpan LateTolerance = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _tick = new(1, 1);

    public override void Dispose()
    {
        base.Dispose();
        _tick.Dispose();
    }
    private readonly ConcurrentDictionary<string, IReadOnlyList<(CronSpec Job, CronSchedule Schedule)>> _byDeployment = new();

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        jobs.InterruptRunning(JobTime.Format(jobsClock.Now));
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TickInterval, clock);
        try
        {
            do
            {
                try
                {
                    await TickAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogTickFailed(logger, e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await runner.StopAllAsync();
    }

    /// <summary>One pass over every running app's jobs against the jobs clock (the loop calls it every second;
    /// tests call it after moving the clock).</summary>
    public async Task TickAsync(CancellationToken token = default)
    {
        // After a platform restart the apps come back in the background: a slot due or missed meanwhile runs
        // against its app's instances, not against an app that seems to have none.
        await recovery.BroughtBack.WaitAsync(token);
        await _tick.WaitAsync(token);
        try
        {
            var now = jobsClock.Now;
            var apps = store.ListApps();
            var running = apps.Where(a => a.LiveDeploymentId is not null && a.DesiredState == "running").Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
            runner.CancelRunsOf(app => !running.Contains(app));
            foreach (var app in apps)
            {
                if (app.LiveDeploymentId is null || app.DesiredState != "running" || PausedWhy(app.Ref) is not null)
                {
                    // A stopped or paused app's schedule starts afresh when it runs again: no catching up on that time.
                    jobs.ForgetJobsExcept(app.Name, []);
                    continue;
                }
                var crons = JobsOf(app.LiveDeploymentId);
                jobs.ForgetJobsExcept(app.Name, crons.Select(c => c.Job.Name).ToList());
                if (crons.Count == 0)
                {
                    continue;
                }
                var lastSlots = jobs.LastSlots(app.Name);
                foreach (var (job, schedule) in crons)
                {
                    Consider(app.Name, job, schedule, lastSlots.TryGetValue(job.Name, out var last) ? JobTime.Parse(last) : null, now);
                }
            }
        }
        finally
        {
            _tick.Release();
        }
    }

    private void Consider(string app, CronSpec job, CronSchedule schedule, DateTimeOffset? last, DateTimeOffset now)
    {
        if (last is null)
        {
            jobs.SetLastSlot(app, job.Name, now);
            return;
        }
        // Walk the slots since the last one (a long downtime of a minutely job is many: count them, keep none).
        var count = 0;
        DateTimeOffset? latest = null;
        for (var at = schedule.Next(last.Value); at <= now && count < MaxMissedCounted; at = schedule.Next(at))
        {
            latest = at;
            count++;
        }
        if (latest is null)
        {
            return;
        }
        var countedAll = count < MaxMissedCounted;
        // Past the count limit the exact latest slot is unknown, but every slot up to now was missed.
        jobs.SetLastSlot(app, job.Name, countedAll ? latest.Value : now);
        if (countedAll && now - latest.Value <= LateTolerance)
        {
            runner.Start(app, job, CronTrigger.Schedule, latest);
        }
        else if (job.Missed == CronMissed.RunOnce)
        {
            runner.Start(app, job, CronTrigger.Missed, latest);
        }
        else
        {
            var missed = countedAll ? count.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"more than {MaxMissedCounted}";
            runner.Start(app, job, CronTrigger.Missed, latest, $"{missed} run(s) were missed while the platform was down (missed: skip)");
        }
    }

    private const int MaxMissedCounted = 100_000;

    /// <summary>The jobs of a deployment, parsed once: a deployment's spec never changes.</summary>
    public IReadOnlyList<(CronSpec Job, CronSchedule Schedule)> JobsOf(string deploymentId) => _byDeployment.GetOrAdd(deploymentId, id =>
    {
        var json = store.FindDeployment(id)?.SpecJson;
        var spec = json is null ? null : JsonSerializer.Deserialize<AppSpec>(json, Release.Json);
        var result = new List<(CronSpec, CronSchedule)>();
        foreach (var job in spec?.Crons ?? [])
        {
            if (CronSchedule.TryParse(job.Schedule, job.TimeZone, out var error) is { } schedule)
            {
                result.Add((job, schedule));
            }
            else
            {
                // Validated when the manifest was read; only a time zone removed from this machine gets here.
                LogBadSchedule(logger, id, job.Name, error!);
            }
        }
        return result;
    });

    /// <summary>The next time <paramref name="job"/> fires after now, per the live deployment.</summary>
    /// <summary>Why <paramref name="env"/>'s crons do not fire on their schedule now, or null when they do.</summary>
    public string? PausedWhy(AppRef env) => pauses.Select(p => p.Why(env)).FirstOrDefault(why => why is not null);

    public DateTimeOffset? NextRun(string app, string job)
    {
        var live = store.FindApp(app)?.LiveDeploymentId;
        if (live is null)
        {
            return null;
        }
        var found = JobsOf(live).FirstOrDefault(c => c.Job.Name == job);
        return found.Schedule?.Next(jobsClock.Now);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A cron tick failed")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {DeploymentId}: cron job {Job} has an unusable schedule: {Error}")]
    private static partial void LogBadSchedule(ILogger logger, string deploymentId, string job, string error);
}
