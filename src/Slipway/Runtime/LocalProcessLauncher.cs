using System.Diagnostics;

namespace Slipway.Runtime;

/// <summary>Runs commands as local child processes, each leading its own process group:
///   setsid [nice -n 10 ionice -c 3] [setpriv --reuid --regid --init-groups --] (/bin/sh -c COMMAND | PROGRAM ARGS...)
/// Each wrapper execs the next, so the pid is the command's own. Resource limits and mounts are not applied by
/// this launcher: a spec that asks for them is refused rather than run unconfined.</summary>
internal sealed class LocalProcessLauncher(TimeProvider clock, string ownerId) : IProcessLauncher
{
    public ILaunchedProcess Start(LaunchSpec spec, Action<OutputLine> onLine)
    {
        if (!spec.Isolation.Limits.IsNone || spec.Isolation.Mounts.Count > 0)
        {
            throw new NotSupportedException("the local process launcher cannot apply resource limits or mounts; " +
                "a sandboxing launcher must run this process rather than running it unconfined");
        }
        var psi = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = spec.WorkingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (spec.LowPriority)
        {
            psi.ArgumentList.Add("nice");
            psi.ArgumentList.Add("-n");
            psi.ArgumentList.Add("10");
            psi.ArgumentList.Add("ionice");
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("3");
        }
        var (program, arguments) = spec.Arguments is { } args ? (spec.Command, args) : ("/bin/sh", ["-c", spec.Command]);
        if (spec.Isolation.RunAs is { } user)
        {
            (program, arguments) = user.Wrap(program, arguments);
        }
        psi.ArgumentList.Add(program);
        foreach (var argument in arguments)
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
            throw new EnvironmentTooLargeException(e);
        }
        process.StandardInput.Close();
        return new LocalProcess(process, onLine, clock);
    }

    private sealed class LocalProcess : ILaunchedProcess
    {
        private readonly Process _process;

        // When a stop began: until then (tick count), the group outlives its leader. 0: not stopping.
        private long _graceUntil;

        public LocalProcess(Process process, Action<OutputLine> onLine, TimeProvider clock)
        {
            _process = process;
            Pid = process.Id;
            StartIdentity = ProcessGroups.ReadStartIdentity(Pid);
            var stdout = PumpAsync(process.StandardOutput, OutputStream.Stdout, onLine, clock);
            var stderr = PumpAsync(process.StandardError, OutputStream.Stderr, onLine, clock);
            Exited = WaitAsync(stdout, stderr);
        }

        public int Pid { get; }
        public string? StartIdentity { get; }
        public Task<int> Exited { get; }

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
