using System.Diagnostics;
using Slipway.Sandbox;

namespace Slipway.Runtime;

/// <summary>Runs commands as local child processes, each leading its own process group, confined as their
/// <see cref="Isolation"/> says (the wrappers are <see cref="ConfinedCommand"/>'s):
///   setsid [join cgroup] [nice -n 10 ionice -c 3] [bwrap VIEW --] [setpriv ... --] (/bin/sh -c COMMAND | PROGRAM ARGS...)
/// Each wrapper execs the next, so the pid is the group leader's. What this machine cannot apply (no cgroups, no
/// bubblewrap) is refused rather than run unconfined: the policy above asks only for what <see cref="HostSupport"/>
/// says is there.</summary>
internal sealed class LocalProcessLauncher(TimeProvider clock, string ownerId, HostSupport? host = null, Cgroups? cgroups = null) : IProcessLauncher
{
    private readonly Lazy<IReadOnlyList<RootEntry>> _root = new(RootEntry.ReadHost);
    private long _launches;

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
        var group = isolation.Group is { } name ? $"{name}.{Interlocked.Increment(ref _launches)}" : null;
        var procs = group is null ? [] : cgroups!.Create(group, isolation.Limits);
        var psi = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = spec.WorkingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var (program, arguments) = spec.Arguments is { } args ? (spec.Command, args) : ("/bin/sh", ["-c", spec.Command]);
        var tools = host?.Tools ?? new SandboxTools("bwrap", "setpriv");
        foreach (var argument in ConfinedCommand.Build(program, arguments, spec.WorkingDirectory, isolation, spec.LowPriority, procs,
                     isolation.View is null ? [] : _root.Value, tools))
        {
            psi.ArgumentList.Add(argument);
        }
        psi.Environment.Clear();
        foreach (var (key, value) in spec.Environment)
        {
            psi.Environment[key] = value;
        }
        if (spec.SweptWhenOrphaned)
        {
            psi.Environment[Leftovers.OwnerVariable] = ownerId;
        }
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("setsid did not start");
        }
        catch (Exception e) when (EnvironmentTooLargeException.Is(e))
        {
            if (group is not null)
            {
                _ = cgroups!.RemoveAsync(group);
            }
            throw new EnvironmentTooLargeException(e);
        }
        process.StandardInput.Close();
        return new LocalProcess(process, onLine, clock, group is null ? null : new Accounting(cgroups!, group));
    }

    /// <summary>A launched tree's cgroup: read while it runs, read a last time and removed when it is gone.</summary>
    private sealed record Accounting(Cgroups Cgroups, string Group)
    {
        public ResourceUsage Read() => Cgroups.Read(Group);
    }

    private sealed class LocalProcess : ILaunchedProcess
    {
        private readonly Process _process;
        private readonly Accounting? _accounting;

        // When a stop began: until then (tick count), the group outlives its leader. 0: not stopping.
        private long _graceUntil;

        public LocalProcess(Process process, Action<OutputLine> onLine, TimeProvider clock, Accounting? accounting)
        {
            _process = process;
            _accounting = accounting;
            Pid = process.Id;
            StartIdentity = ProcessGroups.ReadStartIdentity(Pid);
            var stdout = PumpAsync(process.StandardOutput, OutputStream.Stdout, onLine, clock);
            var stderr = PumpAsync(process.StandardError, OutputStream.Stderr, onLine, clock);
            Exited = WaitAsync(stdout, stderr);
        }

        public int Pid { get; }
        public string? StartIdentity { get; }
        public Task<int> Exited { get; }
        public ResourceUsage? FinalUsage { get; private set; }

        public ResourceUsage? Usage() => Exited.IsCompleted ? FinalUsage : _accounting?.Read();

        private async Task<int> WaitAsync(Task stdout, Task stderr)
        {
            await _process.WaitForExitAsync();
            if (Volatile.Read(ref _graceUntil) is var until and > 0)
            {
                // Stopping: the leader is usually /bin/sh, which dies of SIGTERM at once while the app it started
                // (node, a worker finishing its job) is still shutting down. The group keeps its grace period.
                await ProcessGroups.WaitGoneAsync(Pid, TimeSpan.FromMilliseconds(Math.Max(0, until - Environment.TickCount64)));
            }
            // The leader is gone: anything left in its group (a daemonised grandchild holding the port) goes too.
            ProcessGroups.Signal(Pid, ProcessGroups.SigKill);
            // Output still in the pipes is drained, but a grandchild that escaped the group must not hold us forever.
            await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(TimeSpan.FromSeconds(2)));
            if (_accounting is { } accounting)
            {
                FinalUsage = accounting.Read();
                await accounting.Cgroups.RemoveAsync(accounting.Group);
            }
            var code = _process.ExitCode;
            // .NET reports "killed by signal N" as 128 + N.
            return code > 128 && code < 160 ? -(code - 128) : code;
        }

        private static async Task PumpAsync(StreamReader reader, OutputStream stream, Action<OutputLine> onLine, TimeProvider clock)
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
            ProcessGroups.Signal(Pid, ProcessGroups.SigTerm);
            await Task.WhenAny(Exited, Task.Delay(grace));
            if (!await ProcessGroups.WaitGoneAsync(Pid, Exited.IsCompleted ? TimeSpan.FromMilliseconds(200) : TimeSpan.Zero))
            {
                ProcessGroups.Signal(Pid, ProcessGroups.SigKill);
            }
            await Task.WhenAny(Exited, Task.Delay(TimeSpan.FromSeconds(5)));
        }

        public async ValueTask DisposeAsync()
        {
            if (!Exited.IsCompleted)
            {
                await StopAsync(TimeSpan.FromSeconds(5));
            }
            _process.Dispose();
        }
    }
}
