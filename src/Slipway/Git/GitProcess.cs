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
            Stop(git);
            throw;
        }
    }

    /// <summary>Stops git and what it started (http-backend runs receive-pack, which runs the hook) the way git expects:
    /// SIGTERM first, on which receive-pack removes its quarantine and its ref locks, then SIGKILL to what is left
    /// after <see cref="Grace"/>. Never waits: the caller is usually unwinding a cancelled request.</summary>
    public static void Stop(Process git)
    {
        int pid;
        try
        {
            if (git.HasExited)
            {
                return;
            }
            pid = git.Id;
        }
        catch (InvalidOperationException)
        {
            return;
        }
        // Each member with when it started, so the SIGKILL later never reaches a process that took a freed pid.
        var tree = Descendants(pid).Prepend(pid).Select(p => (Pid: p, Started: Runtime.ProcessGroups.ReadStartIdentity(p))).ToList();
        foreach (var member in tree)
        {
            Runtime.ProcessGroups.SignalProcess(member.Pid, Runtime.ProcessGroups.SigTerm);
        }
        _ = Task.Delay(Grace).ContinueWith(_ =>
        {
            foreach (var member in tree.Where(m => m.Started is not null && Runtime.ProcessGroups.IsSameProcess(m.Pid, m.Started)))
            {
                Runtime.ProcessGroups.SignalProcess(member.Pid, Runtime.ProcessGroups.SigKill);
            }
        }, TaskScheduler.Default);
    }

    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);

    /// <summary>Every process below <paramref name="pid"/>, read from /proc (children of each of its threads).</summary>
    private static IEnumerable<int> Descendants(int pid)
    {
        var children = new List<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var text = File.ReadAllText(Path.Combine(task, "children"));
                children.AddRange(text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse));
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return children.SelectMany(child => Descendants(child).Prepend(child));
    }
}
