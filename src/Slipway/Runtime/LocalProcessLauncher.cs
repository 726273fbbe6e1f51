using System.Diagnostics;
using Slipway.Sandbox;

namespace Slipway.Runtime;

/// <summary>Runs commands as local child processes, each leading its own process group, confined as their
/// <see cref="Isolation"/> says (the wrappers are <see cref="ConfinedCommand"/>'s):
///   setsid [join cgroup] [nice -n 10 ionice -c 3] [bwrap VIEW --] [setpriv ... --] (/bin/sh -c COMMAND | PROGRAM ARGS...)
/// Each wrapper execs the next, so the pid is the group leader's. What this machine cannot apply (no cgroups, no
/// bubblewrap) is refused rather than run unconfined: the policy above asks only for what <see cref="HostSupport"/>
/// says is there.
///
/// An adoptable process (an app instance) writes its output into FIFOs in the run directory instead of pipes to this
/// process, so it outlives a restart, an upgrade or a crash of the platform; <see cref="Adopt"/> takes it over in the
/// next platform process. Every launch gets a fresh random key naming its FIFOs and its cgroup, so a new launch never
/// collides with a living process an earlier platform process started.</summary>
internal sealed class LocalProcessLauncher(TimeProvider clock, string ownerId, HostSupport? host = null, Cgroups? cgroups = null, string? runDir = null)
    : IProcessLauncher
{
    private readonly Lazy<IReadOnlyList<RootEntry>> _root = new(RootEntry.ReadHost);

    // Every launch this launcher started or adopted in this platform process and that has not ended: launch key → pid
    // (each launch leads its own process group, so the pid is its group). The start-up sweep spares them whoever calls
    // it, whatever set it is given: a server adopted or started before the sweep (the database servers) is never swept.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _mine = new(StringComparer.Ordinal);

    // Held around a launch's fork and its entry in _mine, and around the sweep's decision: a sweep never sees a process
    // of ours that is not in _mine yet.
    private readonly Lock _launching = new();

    /// <summary>Where adoptable processes' output FIFOs live (DATA/run/output; 0700).</summary>
    public string RunDirectory { get; } = runDir ?? Path.Combine(Path.GetTempPath(), $"slipway-run-{ownerId}");

    public ILaunchedProcess Start(LaunchSpec spec, Action<OutputLine> onLine)
    {
        var isolation = spec.Isolation;
        if (isolation.View is not null && host?.Tools is null)
        {
            throw new NotSupportedException("this launcher cannot sandbox (bubblewrap is missing); the process must not run unconfined");
        }
        if ((!isolation.Limits.IsNone || isolation.Group is not null) && (cgroups is null || isolation.Group is null))
        {
            throw new NotSupportedException("this launcher cannot apply resource limits (no cgroup controllers, or no group named); the process must not run unconfined");
        }
        var key = NewKey();
        var group = GroupOf(isolation, key);
        var procs = group is null ? [] : cgroups!.Create(group, isolation.Limits);
        var fifos = spec.Adoptable ? MakeFifos(key) : null;
        var psi = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = spec.WorkingDirectory,
            RedirectStandardInput = fifos is null,
            RedirectStandardOutput = fifos is null,
            RedirectStandardError = fifos is null,
            UseShellExecute = false,
        };
        var (program, arguments) = spec.Arguments is { } args ? (spec.Command, args) : ("/bin/sh", ["-c", spec.Command]);
        var tools = host?.Tools ?? new SandboxTools("bwrap", "setpriv");
        foreach (var argument in ConfinedCommand.Build(program, arguments, spec.WorkingDirectory, isolation, spec.LowPriority, procs,
                     isolation.View is null ? [] : _root.Value, tools, fifos is null ? null : [fifos[0].Path, fifos[1].Path]))
        {
            psi.ArgumentList.Add(argument);
        }
        psi.Environment.Clear();
        foreach (var (name, value) in spec.Environment)
        {
            psi.Environment[name] = value;
        }
        if (spec.SweptWhenOrphaned)
        {
            psi.Environment[Leftovers.OwnerVariable] = ownerId;
        }
        Process process;
        try
        {
            lock (_launching)
            {
                process = Process.Start(psi) ?? throw new InvalidOperationException("setsid did not start");
                _mine[key] = process.Id;
            }
        }
        catch (Exception e)
        {
            if (group is not null)
            {
                _ = cgroups!.RemoveAsync(group);
            }
            foreach (var fifo in fifos ?? [])
            {
                fifo.Dispose();
                fifo.Delete();
            }
            if (EnvironmentTooLargeException.Is(e))
            {
                throw new EnvironmentTooLargeException(e);
            }
            throw;
        }
        var accounting = group is null ? null : new Accounting(cgroups!, group);
        if (fifos is null)
        {
            process.StandardInput.Close();
            return new LocalProcess(process, process.Id, ProcessGroups.ReadStartIdentity(process.Id), null,
                [Pump(process.StandardOutput, OutputStream.Stdout, onLine, clock), Pump(process.StandardError, OutputStream.Stderr, onLine, clock)], [],
                accounting, Forget(key));
        }
        fifos[0].StartPump(OutputStream.Stdout, onLine, clock);
        fifos[1].StartPump(OutputStream.Stderr, onLine, clock);
        return new LocalProcess(process, process.Id, ProcessGroups.ReadStartIdentity(process.Id), key, [fifos[0].Pumped, fifos[1].Pumped], fifos, accounting, Forget(key));
    }

    public bool CanAdopt(Adoption adoption) =>
        ProcessGroups.IsSameProcess(adoption.Pid, adoption.PidStart) && Leftovers.Carries(adoption.Pid, ownerId) &&
        (cgroups is null || IsLaunch(cgroups.GroupOf(adoption.Pid), adoption.LaunchKey)) &&
        File.Exists(FifoPath(adoption.LaunchKey, "out")) && File.Exists(FifoPath(adoption.LaunchKey, "err"));

    /// <summary>A launch's cgroup is named GROUP.KEY (<see cref="GroupOf(Isolation, string)"/>).</summary>
    private static bool IsLaunch(string? group, string key) => group is not null && group.EndsWith("." + key, StringComparison.Ordinal);

    public ILaunchedProcess? Adopt(Adoption adoption, Action<OutputLine> onLine)
    {
        if (!CanAdopt(adoption))
        {
            return null;
        }
        var group = cgroups?.GroupOf(adoption.Pid);
#pragma warning disable CA2000 // each FIFO belongs to the LocalProcess it is handed to, which disposes it when the process ends or is detached
        if (OutputFifo.Open(FifoPath(adoption.LaunchKey, "out")) is not { } stdout)
        {
            return null;
        }
        if (OutputFifo.Open(FifoPath(adoption.LaunchKey, "err")) is not { } stderr)
        {
            stdout.Dispose();
            return null;
        }
#pragma warning restore CA2000
        stdout.StartPump(OutputStream.Stdout, onLine, clock);
        stderr.StartPump(OutputStream.Stderr, onLine, clock);
        _mine[adoption.LaunchKey] = adoption.Pid;
        return new LocalProcess(null, adoption.Pid, adoption.PidStart, adoption.LaunchKey, [stdout.Pumped, stderr.Pumped], [stdout, stderr],
            group is null ? null : new Accounting(cgroups!, group), Forget(adoption.LaunchKey));
    }

    /// <summary>A launch leaves <see cref="_mine"/> when it ends or is detached (it is then the next platform process's).</summary>
    private Action Forget(string key) => () => _mine.TryRemove(key, out _);

    public Task<int> SweepAsync(IReadOnlySet<string> adopted, TimeSpan grace)
    {
        // What goes is decided now; the kills come after, so a process launched meanwhile (an adopted instance
        // restarting, a deploy right after the start) is never touched. Whatever this launcher launched or adopted in this
        // platform process before the call (the database servers, adopted or started beside Recovery) is spared with the
        // given launches.
        // The owner mark finds what the previous run started, a setsid'd grandchild included, but not one that emptied
        // its environment; a process in a spared launch's cgroup (a child of an adopted instance) is that launch's.
        lock (_launching)
        {
            var mine = _mine.ToArray();
            var spared = adopted.Union(mine.Select(m => m.Key), StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal);
            var ourGroups = mine.Select(m => m.Value).ToHashSet();
            return Sweep(spared, ourGroups, grace);
        }
    }

    private Task<int> Sweep(HashSet<string> adopted, HashSet<int> ourGroups, TimeSpan grace)
    {
        var groups = Leftovers.Find(ownerId, spare: (pid, processGroup) => ourGroups.Contains(processGroup) ||
            (cgroups?.GroupOf(pid) is { } group && adopted.Any(key => IsLaunch(group, key))));
        // A process cannot leave its cgroup: one that left its process group and emptied its environment is still here.
        var leftover = cgroups?.Groups().Where(g => !adopted.Any(key => IsLaunch(g, key))).ToList() ?? [];
        var fifos = Directory.Exists(RunDirectory)
            ? Directory.EnumerateFiles(RunDirectory).Where(path => !adopted.Contains(Path.GetFileNameWithoutExtension(path))).ToList()
            : [];
        return KillAsync(groups, leftover, fifos, grace);
    }

    private async Task<int> KillAsync(IReadOnlySet<int> groups, IReadOnlyList<string> leftover, IReadOnlyList<string> fifos, TimeSpan grace)
    {
        var killed = await Leftovers.KillGroupsAsync(groups, grace);
        if (cgroups is not null)
        {
            var counts = await Task.WhenAll(leftover.Select(g => cgroups.KillAsync(g, grace)));
            killed += counts.Count(c => c > 0);
            await Task.WhenAll(leftover.Select(cgroups.RemoveAsync));
        }
        foreach (var path in fifos)
        {
            File.Delete(path);
        }
        return killed;
    }

    private static string NewKey() => "k" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));

    private static string? GroupOf(Isolation isolation, string key) => isolation.Group is { } name ? $"{name}.{key}" : null;

    private string FifoPath(string key, string stream) => Path.Combine(RunDirectory, $"{key}.{stream}");

    private OutputFifo[] MakeFifos(string key)
    {
        if (!Directory.Exists(RunDirectory))
        {
            Directory.CreateDirectory(RunDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
#pragma warning disable CA2000 // both belong to the LocalProcess they are handed to (or are disposed below when the launch fails)
        var stdout = OutputFifo.Create(FifoPath(key, "out"));
        try
        {
            return [stdout, OutputFifo.Create(FifoPath(key, "err"))];
        }
#pragma warning restore CA2000
        catch
        {
            stdout.Dispose();
            stdout.Delete();
            throw;
        }
    }

    private static Task Pump(StreamReader reader, OutputStream stream, Action<OutputLine> onLine, TimeProvider clock) =>
        Task.Run(async () =>
        {
            try
            {
                while (await reader.ReadLineAsync() is { } line)
                {
                    onLine(new OutputLine(stream, line, clock.GetUtcNow()));
                }
            }
            catch (IOException)
            {
                // The pipe broke because the process died: nothing more to read.
            }
            catch (ObjectDisposedException)
            {
            }
        });

    /// <summary>A launched tree's cgroup: read while it runs, read a last time and removed when it is gone.</summary>
    private sealed record Accounting(Cgroups Cgroups, string Group)
    {
        public ResourceUsage Read() => Cgroups.Read(Group);
    }

    /// <summary>A process tree this launcher started (<paramref name="process"/> is its child) or adopted (null: not
    /// its child, so its end is seen by watching its pid and its exit code is unknown).</summary>
    private sealed class LocalProcess : ILaunchedProcess
    {
        private static readonly TimeSpan AdoptedPoll = TimeSpan.FromMilliseconds(200);
        private readonly Process? _process;
        private readonly Task[] _pumps;
        private readonly OutputFifo[] _fifos;
        private readonly Accounting? _accounting;
        private readonly Action _ended;
        private readonly TaskCompletionSource _detach = new(TaskCreationOptions.RunContinuationsAsynchronously);

        // When a stop began: until then (tick count), the group outlives its leader. 0: not stopping.
        private long _graceUntil;

        public LocalProcess(Process? process, int pid, string? startIdentity, string? launchKey, Task[] pumps, OutputFifo[] fifos, Accounting? accounting, Action ended)
        {
            _ended = ended;
            _process = process;
            _pumps = pumps;
            _fifos = fifos;
            _accounting = accounting;
            Pid = pid;
            StartIdentity = startIdentity;
            LaunchKey = launchKey;
            Exited = WaitAsync();
        }

        public int Pid { get; }
        public string? StartIdentity { get; }
        public string? LaunchKey { get; }
        public Task<int> Exited { get; }
        public ResourceUsage? FinalUsage { get; private set; }

        public ResourceUsage? Usage() => Exited.IsCompleted ? FinalUsage : _accounting?.Read();

        private async Task<int> WaitAsync()
        {
            try
            {
                return await WatchAsync();
            }
            finally
            {
                _ended();
            }
        }

        private async Task<int> WatchAsync()
        {
            var leaderGone = _process is { } child ? child.WaitForExitAsync() : WatchAdoptedAsync();
            await Task.WhenAny(leaderGone, _detach.Task);
            if (_detach.Task.IsCompleted)
            {
                // Detached, whatever else happened meanwhile (watching an adopted pid ends with the detach too): the
                // process is the next platform process's to watch, never killed here.
                foreach (var fifo in _fifos)
                {
                    await fifo.DetachAsync();
                }
                _process?.Dispose();
                return ExitCodes.Detached;
            }
            if (Volatile.Read(ref _graceUntil) is var until and > 0)
            {
                // Stopping: the leader is usually /bin/sh, which dies of SIGTERM at once while the app it started
                // (node, a worker finishing its job) is still shutting down. The group keeps its grace period.
                await ProcessGroups.WaitGoneAsync(Pid, TimeSpan.FromMilliseconds(Math.Max(0, until - Environment.TickCount64)));
            }
            // The leader is gone: anything left in its group (a daemonised grandchild holding the port) goes too, and
            // so does anything in its cgroup (a child that left the process group with setsid cannot leave that).
            ProcessGroups.Signal(Pid, ProcessGroups.SigKill);
            if (_accounting is { } tree)
            {
                await tree.Cgroups.KillAsync(tree.Group, TimeSpan.Zero);
            }
            foreach (var fifo in _fifos)
            {
                fifo.ReleaseWriter();
            }
            // Output still in the pipes is drained, but a grandchild that escaped the group must not hold us forever.
            await Task.WhenAny(Task.WhenAll(_pumps), Task.Delay(TimeSpan.FromSeconds(2)));
            foreach (var fifo in _fifos)
            {
                fifo.Dispose();
                fifo.Delete();
            }
            if (_accounting is { } accounting)
            {
                FinalUsage = accounting.Read();
                await accounting.Cgroups.RemoveAsync(accounting.Group);
            }
            if (_process is null)
            {
                return ExitCodes.Unknown;
            }
            return ExitCodes.Of(_process);
        }

        /// <summary>Not this process's child: no exit notification, so its pid is looked at (start time too: a reused
        /// pid is another process; a zombie is gone).</summary>
        private async Task WatchAdoptedAsync()
        {
            while (ProcessGroups.IsSameProcess(Pid, StartIdentity) && !_detach.Task.IsCompleted)
            {
                await Task.WhenAny(Task.Delay(AdoptedPoll), _detach.Task);
            }
        }

        public async Task StopAsync(TimeSpan grace)
        {
            if (Exited.IsCompleted)
            {
                // Its group was killed when the leader exited (WaitAsync): signalling the pid now could reach
                // another process group that reused it.
                return;
            }
            Volatile.Write(ref _graceUntil, Environment.TickCount64 + (long)grace.TotalMilliseconds);
            if (_accounting is { } tree && tree.Cgroups.Processes(tree.Group).Contains(Pid))
            {
                // Every process of the tree, by its cgroup, each signalled once (an app's SIGTERM handler runs once):
                // SIGTERM, the grace, then SIGKILL until none is left. (A leader not in it yet, a stop right after the
                // launch, gets the process-group signals below.)
                await tree.Cgroups.KillAsync(tree.Group, grace);
                await Task.WhenAny(Exited, Task.Delay(TimeSpan.FromSeconds(5)));
                return;
            }
            ProcessGroups.Signal(Pid, ProcessGroups.SigTerm);
            await Task.WhenAny(Exited, Task.Delay(grace));
            if (!await ProcessGroups.WaitGoneAsync(Pid, Exited.IsCompleted ? TimeSpan.FromMilliseconds(200) : TimeSpan.Zero))
            {
                ProcessGroups.Signal(Pid, ProcessGroups.SigKill);
            }
            await Task.WhenAny(Exited, Task.Delay(TimeSpan.FromSeconds(5)));
        }

        public async Task DetachAsync()
        {
            _detach.TrySetResult();
            await Exited;
        }

        public async ValueTask DisposeAsync()
        {
            if (!Exited.IsCompleted)
            {
                await StopAsync(TimeSpan.FromSeconds(5));
            }
            _process?.Dispose();
        }
    }
}
