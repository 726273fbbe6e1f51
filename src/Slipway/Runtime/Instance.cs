using Microsoft.Extensions.Logging;
using Slipway.Manifests;
using Slipway.Sandbox;

namespace Slipway.Runtime;

/// <summary>One supervised replica: starts the process, probes it, restarts it per its restart policy with
/// exponential backoff, and stops the whole process tree on request.
///
///   start ──► probe until healthy ──► in rotation ──► (exit) ──► out of rotation ──► backoff ──► start
///                 │ exit first                                         │ policy says no / retries used up
///                 ▼                                                    ▼
///          StartOutcome(false)                                   Crashed / Exited
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification =
    "_stopping has no timer, so it holds nothing to free; StopAsync may run from several callers at once and the loop reads the token after it, so no one owner could dispose it safely")]
internal sealed partial class Instance
{
    private const int UnhealthyAfterFailures = 3;

    /// <summary>Restart times kept for <see cref="RestartTimes"/>.</summary>
    public const int KeptRestartTimes = 64;
    private static readonly TimeSpan ListenCheckAfter = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan SteadyProbeInterval = TimeSpan.FromSeconds(10);

    private readonly IProcessLauncher _launcher;
    private readonly HealthProbe _probe;
    private readonly LogStore _logs;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly Action<Instance> _changed;
    private readonly Action<Instance, string, string> _event;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<StartOutcome> _firstStart = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<string> _recentLines = new();
    private readonly Queue<DateTimeOffset> _restartTimes = new();
    private ILaunchedProcess? _process;
    private volatile InstanceState _state = InstanceState.Starting;

    // Set by AdoptFrom before Start: the first round takes this process over instead of launching one.
    private Adoption? _adoption;

    // Detached (the platform process is going away, the instance runs on): nothing more is recorded or changed.
    private volatile bool _detached;

    public Instance(InstanceSpec spec, int port, IProcessLauncher launcher, HealthProbe probe, LogStore logs,
        TimeProvider clock, ILogger logger, Action<Instance> changed, Action<Instance, string, string>? raised = null)
    {
        _event = raised ?? ((_, _, _) => { });
        Spec = spec;
        Endpoint = new InstanceEndpoint(spec.Id, port);
        _launcher = launcher;
        _probe = probe;
        _logs = logs;
        _clock = clock;
        _logger = logger;
        _changed = changed;
    }

    public InstanceSpec Spec { get; }

    public InstanceEndpoint Endpoint { get; }
    public InstanceState State => _state;
    public int Restarts { get; private set; }

    /// <summary>When the last restarts (at most <see cref="KeptRestartTimes"/>) happened, oldest first: how often it
    /// restarted lately ("crash-loop" alerts), which the total <see cref="Restarts"/> cannot tell.</summary>
    public IReadOnlyList<DateTimeOffset> RestartTimes()
    {
        lock (_restartTimes)
        {
            return _restartTimes.ToList();
        }
    }

    /// <summary>Times the kernel's OOM killer ended this replica (at its memory limit), over all its restarts.</summary>
    public int OomKills { get; private set; }
    public int? Pid => _process?.Pid;
    public string? PidStart => _process?.StartIdentity;

    /// <summary>What names its process's output FIFOs and cgroup (recorded, so the next platform process can adopt it).</summary>
    public string? LaunchKey => _process?.LaunchKey;

    /// <summary>Before <see cref="Start"/>: the instance's process is the one <paramref name="adoption"/> names, started by
    /// an earlier platform process; if it is still that process it is in rotation at once and probed (steadily) from
    /// now on, else a new one is started in its place (with an event saying so).</summary>
    public void AdoptFrom(Adoption adoption, int restarts, bool wasServing)
    {
        _adoption = adoption;
        Restarts = restarts;
        _adoptedServing = wasServing;
    }

    // Whether the adopted instance was in rotation when the previous platform process recorded it last.
    private bool _adoptedServing;
    public Task Run { get; private set; } = Task.CompletedTask;

    /// <summary>Completes once: healthy, or the reason the first start failed (exit, or timeout via the caller).</summary>
    public Task<StartOutcome> FirstStart => _firstStart.Task;

    public void Start() => Run = Task.Run(async () =>
    {
        try
        {
            await LoopAsync();
        }
        catch (Exception e)
        {
            // A bug, not an app failure: record it, and never leave a deploy gate waiting for a first start.
            LogLoopFailed(_logger, Spec.App, Spec.Id, e);
            _firstStart.TrySetResult(new StartOutcome(false, $"supervision failed: {e.Message}"));
            SetState(InstanceState.Crashed);
        }
    });

    public IReadOnlyList<string> RecentLines()
    {
        lock (_recentLines)
        {
            return _recentLines.ToList();
        }
    }

    /// <summary>The platform process is going away and the instance runs on: supervision and output reading end here,
    /// the process is not signalled, and nothing more is recorded (its row says what the next platform process adopts).</summary>
    public async Task DetachAsync()
    {
        if (_state is InstanceState.Stopped || _detached)
        {
            return;
        }
        _detached = true;
        await _stopping.CancelAsync();
        if (Volatile.Read(ref _process) is { } process)
        {
            await process.DetachAsync();
        }
        await Run;
    }

    public bool Detached => _detached;

    public async Task StopAsync()
    {
        if (_state is InstanceState.Stopped || _detached)
        {
            return;
        }
        SetState(InstanceState.Stopping);
        _firstStart.TrySetResult(new StartOutcome(false, "was stopped before it became healthy"));
        await _stopping.CancelAsync();
        if (Volatile.Read(ref _process) is { } process)
        {
            await process.StopAsync(Spec.StopTimeout);
        }
        await Run;
        SetState(InstanceState.Stopped);
    }

    private async Task LoopAsync()
    {
        var token = _stopping.Token;
        var restarts = new RestartBackoff(Spec.Service.Restart, _clock);
        while (!token.IsCancellationRequested)
        {
            restarts.Started();
            int exitCode;
            try
            {
                var adopted = Interlocked.Exchange(ref _adoption, null) is { } adoption ? AdoptOrExplain(adoption) : null;
                // Exchange, not a plain store: a full fence, so either StopAsync sees this process or this loop
                // sees the cancellation below (never neither).
                Interlocked.Exchange(ref _process, adopted ?? _launcher.Start(
                    new LaunchSpec(Spec.Service.Start!, Spec.WorkingDirectory, Environment()) { Isolation = Spec.Isolation, Adoptable = true }, OnLine));
                if (token.IsCancellationRequested)
                {
                    // StopAsync ran while this (re)start was being launched and saw the previous process:
                    // this one is ours to stop (or, detaching, to leave running).
                    await (_detached ? _process.DetachAsync() : _process.StopAsync(Spec.StopTimeout));
                    return;
                }
                if (adopted is null)
                {
                    LogStarted(_logger, Spec.App, Spec.Service.Name, Spec.Id, _process.Pid, Endpoint.Port);
                }
                else
                {
                    LogAdopted(_logger, Spec.App, Spec.Service.Name, Spec.Id, _process.Pid, Endpoint.Port);
                }
                _changed(this);
                var watch = WatchHealthAsync(_process, adopted is not null, token);
                exitCode = await _process.Exited;
                if (!_detached)
                {
                    Endpoint.Healthy = false;
                }
                await watch;
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
            {
                Platform($"could not start: {e.Message}", LogSeverity.Error);
                _firstStart.TrySetResult(new StartOutcome(false, $"could not start: {e.Message}", e is EnvironmentTooLargeException));
                SetState(InstanceState.Crashed);
                return;
            }
            if (token.IsCancellationRequested)
            {
                return;
            }
            var detail = ExitCodes.Describe(exitCode);
            if (_process.Usage() is { OomKills: > 0 } final)
            {
                // The kernel's OOM killer ended it: say so with the numbers, not as an anonymous "killed by SIGKILL".
                OomKills++;
                var limit = Spec.Isolation.Limits.MemoryBytes is { } bytes ? Manifests.ByteSizes.Format(bytes) : "its memory limit";
                var peak = final.PeakBytes is { } p ? $", peak {Manifests.ByteSizes.Format(p)}" : "";
                detail = $"was killed by the kernel for running out of memory (limit {limit}{peak}; raise services.{Spec.Service.Name}.resources.memory if it needs more)";
                _event(this, "instance.oom", $"{Spec.Service.Name} replica {Spec.Replica} {detail}");
            }
            Platform($"process {detail}", exitCode == 0 ? LogSeverity.Warn : LogSeverity.Error);
            _firstStart.TrySetResult(new StartOutcome(false, detail));

            var decision = restarts.AfterExit(exitCode);
            if (!decision.Restart)
            {
                if (decision.GaveUp is { } why)
                {
                    Platform(why, LogSeverity.Error);
                }
                SetState(exitCode == 0 && decision.GaveUp is null ? InstanceState.Exited : InstanceState.Crashed);
                return;
            }
            Restarts++;
            lock (_restartTimes)
            {
                _restartTimes.Enqueue(_clock.GetUtcNow());
                if (_restartTimes.Count > KeptRestartTimes)
                {
                    _restartTimes.Dequeue();
                }
            }
            SetState(InstanceState.Restarting);
            try
            {
                await Task.Delay(decision.Delay, _clock, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private ILaunchedProcess? AdoptOrExplain(Adoption adoption)
    {
        if (_launcher.Adopt(adoption, OnLine) is { } process)
        {
            return process;
        }
        var message = $"{Spec.Service.Name} replica {Spec.Replica} (pid {adoption.Pid}) ended while the platform restarted; starting a new one";
        Platform(message, LogSeverity.Warn);
        _event(this, "instance.replaced", message);
        return null;
    }

    /// <summary>Probe until healthy (first start: reports the outcome), then keep probing: an instance that
    /// stops answering leaves the rotation until it answers again.</summary>
    private async Task WatchHealthAsync(ILaunchedProcess process, bool adopted, CancellationToken token)
    {
        var hc = Spec.Service.Healthcheck;
        adopted &= _adoptedServing;
        if (adopted)
        {
            // It served before the platform restarted: in rotation at once (the edge takes it out if it refuses a
            // connection), and probed now to confirm. One that was starting or failing its checks is probed first.
            Endpoint.Healthy = Spec.Service.Type == ServiceType.Web;
            SetState(InstanceState.Healthy);
            _firstStart.TrySetResult(new StartOutcome(true, "adopted after a platform restart"));
            if (Spec.Service.Type == ServiceType.Worker)
            {
                return;
            }
        }
        else
        {
            SetState(InstanceState.Starting);
        }
        if (Spec.Service.Type == ServiceType.Worker)
        {
            // A worker has no port: it counts as started once it has stayed up for a moment.
            await Task.WhenAny(process.Exited, Task.Delay(TimeSpan.FromSeconds(1.5), _clock, token));
            if (!process.Exited.IsCompleted && !token.IsCancellationRequested)
            {
                SetState(InstanceState.Healthy);
                _firstStart.TrySetResult(new StartOutcome(true, "running"));
            }
            return;
        }

        var failures = 0;
        var everHealthy = adopted;
        var probingSince = _clock.GetUtcNow();
        var nextListenCheck = probingSince;
        string? explained = null;
        while (!process.Exited.IsCompleted && !token.IsCancellationRequested)
        {
            var (result, detail) = await _probe.ProbeAsync(Endpoint.Port, hc.Path, hc.Timeout, token).ConfigureAwait(false);
            if (process.Exited.IsCompleted || token.IsCancellationRequested)
            {
                break;
            }
            if (result == ProbeResult.Healthy && Foreign(ListeningPorts.HolderOf(Endpoint.Port, OwnUid)) is { } foreign)
            {
                // Whatever answered is not this instance: it never enters the rotation (nor passes the deploy gate), and
                // leaves it at once when its port changed hands while it was in (its server closed; another bound it).
                (result, detail) = (ProbeResult.Unhealthy, foreign);
                if (Endpoint.Healthy)
                {
                    Endpoint.Healthy = false;
                    SetState(InstanceState.Unhealthy);
                    Platform($"taken out of rotation: {foreign}", LogSeverity.Warn);
                    explained = foreign;
                }
                else if (detail != explained)
                {
                    explained = detail;
                    Platform($"health check refused: {detail}", LogSeverity.Warn);
                }
            }
            if (result == ProbeResult.Healthy)
            {
                failures = 0;
                if (!Endpoint.Healthy)
                {
                    Endpoint.Healthy = true;
                    SetState(InstanceState.Healthy);
                    if (!everHealthy && Restarts > 0)
                    {
                        Platform($"healthy again after restart ({detail})");
                    }
                    everHealthy = true;
                    _firstStart.TrySetResult(new StartOutcome(true, detail));
                }
            }
            else if (everHealthy)
            {
                failures++;
                if (failures >= UnhealthyAfterFailures && Endpoint.Healthy)
                {
                    Endpoint.Healthy = false;
                    SetState(InstanceState.Unhealthy);
                    Platform($"health check failing ({detail}); taken out of rotation until it passes", LogSeverity.Warn);
                }
            }
            else if (result == ProbeResult.Unhealthy)
            {
                // Answering, but not healthy: the deploy gate reports this detail if the start timeout runs out.
                _lastProbeDetail = detail;
            }
            else if (result == ProbeResult.Unreachable && _clock.GetUtcNow() - probingSince > ListenCheckAfter && _clock.GetUtcNow() >= nextListenCheck)
            {
                // Not even connecting after a few seconds: say whether anything listens on $PORT, and where the app
                // listens instead (the most common first-deploy mistake: a hard-coded port).
                nextListenCheck = _clock.GetUtcNow() + ListenCheckAfter;
                var why = ListeningPorts.Explain(process.Pid, Endpoint.Port);
                _lastProbeDetail = why is null ? detail : $"{detail}; {why}";
                if (why is not null && why != explained)
                {
                    explained = why;
                    Platform($"health check cannot connect: {why}", LogSeverity.Warn);
                }
            }
            // Once in rotation, probing slows down: a crash is seen at once from the process exit and a refused
            // connection from the edge, so this only catches hung instances, and the app's log stays readable.
            // The wait is cut short when the edge takes the instance out, so it comes back within an interval.
            var steady = everHealthy && Endpoint.Healthy;
            var until = _clock.GetUtcNow() + (steady ? (hc.Interval > SteadyProbeInterval ? hc.Interval : SteadyProbeInterval) : hc.Interval);
            var wait = everHealthy ? hc.Interval : StartingProbeDelay(hc.Interval, _clock.GetUtcNow() - probingSince);
            do
            {
                await Task.WhenAny(process.Exited, Task.Delay(wait, _clock, token));
            }
            while (steady && Endpoint.Healthy && _clock.GetUtcNow() < until && !process.Exited.IsCompleted && !token.IsCancellationRequested);
        }
    }

    /// <summary>Until an instance first passes, it is probed often, backing off as the wait grows: a deploy waits for
    /// the app to start (most listen within 100-300 ms), not for the rest of a probe interval (500 ms by default),
    /// and a slow starter gets about one probe per tenth of the time it has taken so far, never fewer than per interval.</summary>
    internal static TimeSpan StartingProbeDelay(TimeSpan interval, TimeSpan waited)
    {
        var delay = waited / 10 > StartingProbeFloor ? waited / 10 : StartingProbeFloor;
        return delay < interval ? delay : interval;
    }

    private static readonly TimeSpan StartingProbeFloor = TimeSpan.FromMilliseconds(20);

    private volatile string? _lastProbeDetail;

    /// <summary>The uid this instance's processes open their sockets as.</summary>
    private int OwnUid => Spec.Isolation.RunAs?.Uid ?? ListeningPorts.PlatformUid;

    /// <summary>Why an answer on the instance's port is not the instance's, or null when it is (or /proc cannot tell).
    /// Fails closed: an answer with no socket of the instance's user visible there is not trusted either.</summary>
    private string? Foreign(PortHolder holder) => holder.Kind switch
    {
        PortHolderKind.Stranger => holder.Describe(Endpoint.Port),
        PortHolderKind.Nobody => $"port {Endpoint.Port} answered, but no socket of this instance's user (uid {OwnUid}) listens there for 127.0.0.1; " +
            "another process answers for it",
        _ => null,
    };

    /// <summary>Why the instance is not healthy yet, for the deploy gate's timeout message.</summary>
    public string? LastProbeDetail => _lastProbeDetail;

    private Dictionary<string, string> Environment()
    {
        var env = new Dictionary<string, string>(Spec.Environment);
        if (Spec.Service.Type == ServiceType.Web)
        {
            env["PORT"] = Endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            env["HOST"] = "127.0.0.1";
            env.TryAdd("ASPNETCORE_URLS", $"http://127.0.0.1:{Endpoint.Port}");
        }
        env["SLIPWAY_INSTANCE_ID"] = Spec.Id;
        env["SLIPWAY_REPLICA"] = Spec.Replica.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return env;
    }

    private void OnLine(OutputLine line)
    {
        Remember(line.Text);
        _logs.Append(LogKeys.App(Spec.App), LogEntry.Output(line, Spec.DeploymentId, Spec.Service.Name, Spec.Id));
    }

    /// <summary>What the replica's process tree uses now (null where it is not accounted: no cgroups).</summary>
    public InstanceUsage? Usage()
    {
        if (Volatile.Read(ref _process) is not { } process || process.Usage() is not { } usage)
        {
            return null;
        }
        var now = _clock.GetUtcNow();
        double? percent = null;
        lock (_recentLines)
        {
            // CPU use over the time since the last look (status, metrics), at least a second so one look is not noise.
            if (usage.CpuNanoseconds is { } cpu)
            {
                if (_cpuSample is { } last && last.Pid == process.Pid && (now - last.At).TotalSeconds >= 1)
                {
                    _cpuPercent = Math.Round(100.0 * (cpu - last.Nanos) / ((now - last.At).TotalSeconds * 1e9), 1);
                    _cpuSample = (process.Pid, now, cpu);
                }
                else if (_cpuSample is null || _cpuSample.Value.Pid != process.Pid)
                {
                    _cpuSample = (process.Pid, now, cpu);
                }
                percent = _cpuPercent;
            }
        }
        return new InstanceUsage(usage.MemoryBytes, usage.PeakBytes, Spec.Isolation.Limits.MemoryBytes, percent,
            usage.CpuNanoseconds is { } n ? n / 1e9 : null, OomKills);
    }

    private (int Pid, DateTimeOffset At, long Nanos)? _cpuSample;
    private double? _cpuPercent;

    /// <summary>What the platform says about this instance, in its log; a crash is an error, a failing probe a warning
    /// (so `slipway logs --level warn` shows them beside the app's own).</summary>
    private void Platform(string message, LogSeverity? level = null)
    {
        Remember("[slipway] " + message);
        _logs.Append(LogKeys.App(Spec.App), new LogEntry(_clock.GetUtcNow(), "platform", message, Spec.DeploymentId, Spec.Service.Name, Spec.Id, level));
    }

    private void Remember(string line)
    {
        lock (_recentLines)
        {
            _recentLines.Enqueue(line);
            while (_recentLines.Count > 30)
            {
                _recentLines.Dequeue();
            }
        }
    }

    private void SetState(InstanceState state)
    {
        if (_detached || _state == state || (_state == InstanceState.Stopping && state != InstanceState.Stopped))
        {
            return;
        }
        _state = state;
        _changed(this);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Supervising {App} instance {InstanceId} failed")]
    private static partial void LogLoopFailed(ILogger logger, string app, string instanceId, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Adopted {App}/{Service} instance {InstanceId} pid {Pid} port {Port}, started by an earlier platform process")]
    private static partial void LogAdopted(ILogger logger, string app, string service, string instanceId, int pid, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started {App}/{Service} instance {InstanceId} pid {Pid} port {Port}")]
    private static partial void LogStarted(ILogger logger, string app, string service, string instanceId, int pid, int port);
}
