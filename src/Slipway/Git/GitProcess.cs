using System.Diagnostics;

namespace Slipway.Git;

/// <summary>The one way Git/ runs git: an environment built from nothing (PATH, HOME, no system or global config, plus
/// what the caller names), so no variable of the platform (its keys, tokens) and no git config of the machine reaches
/// git or the hooks it runs.</summary>
internal static class GitProcess
{
    public static Process Start(string workingDirectory, IEnumerable<KeyValuePair<string, string>> environment, bool input, params string[] args)
    {
        // Through setsid (which execs git in its place: same pid): git leads its own process group, which StopAsync ends whole.
        var psi = new ProcessStartInfo("setsid")
        {
            RedirectStandardInput = input,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        psi.ArgumentList.Add("git");
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment.Clear();
        psi.Environment["PATH"] = System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        psi.Environment["HOME"] = workingDirectory;
        psi.Environment["LANG"] = "C.UTF-8";
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }
        var git = Process.Start(psi) ?? throw new InvalidOperationException("setsid git did not start");
        // The exec keeps the start time: StopAsync knows the group's number is still git's by it.
        if (Runtime.ProcessGroups.ReadStartIdentity(git.Id) is { } started)
        {
            StartedAt.AddOrUpdate(git, started);
        }
        return git;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Process, string> StartedAt = new();

    /// <summary>Runs git to its end: its exit code, standard output and standard error. Cancelled, git is stopped.</summary>
    public static async Task<(int Code, string Output, string Errors)> RunAsync(string workingDirectory, IEnumerable<KeyValuePair<string, string>> environment,
        CancellationToken token, params string[] args)
    {
        using var git = Start(workingDirectory, environment, input: false, args);
        try
        {
            var output = git.StandardOutput.ReadToEndAsync(token);
            var errors = git.StandardError.ReadToEndAsync(token);
            await git.WaitForExitAsync(token);
            return (git.ExitCode, await output, (await errors).Trim());
        }
        catch
        {
            await StopAsync(git);
            throw;
        }
    }

    /// <summary>Stops git and what it started (http-backend runs receive-pack, which runs the hook) the way git expects:
    /// SIGTERM to git's process group first, on which receive-pack removes its quarantine and its ref locks, then SIGKILL
    /// to what is left after <see cref="Grace"/>. Returns once the whole group is gone (or after the grace and a moment
    /// for the kill), so what the caller removes next (the hook's pipes) is no longer in use. The group holds every
    /// process git started, those started while it stops and those left behind by a git that has exited already, so a
    /// second call (a cancelled request's, then its cleanup's) waits for the same processes.</summary>
    public static async Task StopAsync(Process git)
    {
        int group;
        try
        {
            group = git.Id;
        }
        catch (InvalidOperationException)
        {
            return; // Never started.
        }
        var started = StartedAt.TryGetValue(git, out var identity) ? identity : null;
        if (!Lives(group, started))
        {
            return;
        }
        Runtime.ProcessGroups.Signal(group, Runtime.ProcessGroups.SigTerm);
        if (!await GoneAsync(group, started, Grace))
        {
            Runtime.ProcessGroups.Signal(group, Runtime.ProcessGroups.SigKill);
            await GoneAsync(group, started, TimeSpan.FromSeconds(1));
        }
    }

    private static async Task<bool> GoneAsync(int group, string? started, TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Lives(group, started))
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }
            await Task.Delay(25);
        }
        return true;
    }

    /// <summary>Whether git's group has a process that has not ended. A zombie has ended (where PID 1 does not reap,
    /// orphaned ones stay). The group's number is git's while any member lives; once git's pid is another process's
    /// (it started later), the group had emptied and its number was reused.</summary>
    internal static bool Lives(int group, string? started)
    {
        if (!Runtime.ProcessGroups.IsAlive(group))
        {
            return false;
        }
        if (started is not null && Runtime.ProcessGroups.ReadStartIdentity(group) is { } now && now != started)
        {
            return false;
        }
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _))
            {
                continue;
            }
            try
            {
                // "PID (COMM) STATE PPID PGRP ...": the name may hold spaces and parentheses, so fields count from the last ')'.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ', 4);
                if (fields.Length > 2 && fields[2] == group.ToString(System.Globalization.CultureInfo.InvariantCulture) && fields[0] is not ("Z" or "X"))
                {
                    return true;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }
        return false;
    }

    /// <summary><see cref="StopAsync"/> from code that cannot wait (a cancellation callback): the SIGKILL follows
    /// in the background.</summary>
    public static void Stop(Process git) => _ = StopAsync(git);

    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);
}
