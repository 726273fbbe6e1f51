using System.Diagnostics;

namespace Slipway.Git;

/// <summary>The one way Git/ runs git: an environment built from nothing (PATH, HOME, no system or global config, plus
/// what the caller names), so no variable of the platform (its keys, tokens) and no git config of the machine reaches
/// git or the hooks it runs.</summary>
internal static class GitProcess
{
    public static Process Start(string workingDirectory, IEnumerable<KeyValuePair<string, string>> environment, bool input, params string[] args)
    {
        var psi = new ProcessStartInfo("git")
        {
            RedirectStandardInput = input,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
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
        return Process.Start(psi) ?? throw new InvalidOperationException("git did not start");
    }

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
    /// SIGTERM first, on which receive-pack removes its quarantine and its ref locks, then SIGKILL to what is left
    /// after <see cref="Grace"/>. Returns once the whole tree is gone (or after the grace and a moment for the kill),
    /// so what the caller removes next (the hook's pipes) is no longer in use.</summary>
    public static async Task StopAsync(Process git)
    {
        if (Signal(git) is not { } tree)
        {
            return;
        }
        var deadline = DateTime.UtcNow + Grace;
        while (tree.Any(Alive) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        foreach (var member in tree.Where(Alive))
        {
            Runtime.ProcessGroups.SignalProcess(member.Pid, Runtime.ProcessGroups.SigKill);
        }
        for (var i = 0; i < 50 && tree.Any(Alive); i++)
        {
            await Task.Delay(20);
        }
    }

    /// <summary><see cref="StopAsync"/> from code that cannot wait (a cancellation callback): the SIGKILL follows
    /// in the background.</summary>
    public static void Stop(Process git) => _ = StopAsync(git);

    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);

    /// <summary>SIGTERM to git and its descendants; returns them, each with when it started (so a later SIGKILL never
    /// reaches a process that took a freed pid), or null when git has exited.</summary>
    private static List<(int Pid, string? Started)>? Signal(Process git)
    {
        int pid;
        try
        {
            if (git.HasExited)
            {
                return null;
            }
            pid = git.Id;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
        var tree = Descendants(pid).Prepend(pid).Select(p => (Pid: p, Started: Runtime.ProcessGroups.ReadStartIdentity(p))).ToList();
        foreach (var member in tree)
        {
            Runtime.ProcessGroups.SignalProcess(member.Pid, Runtime.ProcessGroups.SigTerm);
        }
        return tree;
    }

    /// <summary>Still that process (IsSameProcess takes a zombie, which git or the platform has yet to reap, as ended).</summary>
    private static bool Alive((int Pid, string? Started) member) =>
        member.Started is not null && Runtime.ProcessGroups.IsSameProcess(member.Pid, member.Started);

    /// <summary>Every process below <paramref name="pid"/>.</summary>
    private static IEnumerable<int> Descendants(int pid) =>
        ChildrenOf(pid).SelectMany(child => Descendants(child).Prepend(child)).ToList();

    /// <summary>The children of each of the process's threads, from /proc/PID/task/TID/children; on a kernel without it
    /// (CONFIG_PROC_CHILDREN), every process whose parent it is, from /proc/*/stat.</summary>
    internal static IReadOnlyList<int> ChildrenOf(int pid)
    {
        var children = new List<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var file = Path.Combine(task, "children");
                if (!File.Exists(file))
                {
                    return ChildrenByParent(pid);
                }
                children.AddRange(File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone meanwhile.
        }
        return children;
    }

    internal static IReadOnlyList<int> ChildrenByParent(int pid)
    {
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var candidate))
            {
                continue;
            }
            try
            {
                // "PID (COMM) STATE PPID ...": the name may hold spaces and parentheses, so fields count from the last ')'.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ', 3);
                if (fields.Length > 1 && int.TryParse(fields[1], out var parent) && parent == pid)
                {
                    children.Add(candidate);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return children;
    }
}
