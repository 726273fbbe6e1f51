using System.Diagnostics;

namespace Slipway.Tests.Builds;

/// <summary>A real git repository in a directory, driven with the git CLI.</summary>
internal sealed class GitRepo(string dir)
{
    public string Dir { get; } = dir;

    public static GitRepo Init(string dir)
    {
        Directory.CreateDirectory(dir);
        var repo = new GitRepo(dir);
        repo.Git("init", "--quiet", "-b", "main");
        repo.Git("config", "user.name", "Slipway Tests");
        repo.Git("config", "user.email", "tests@slipway.invalid");
        repo.Git("config", "commit.gpgsign", "false");
        repo.Git("config", "tag.gpgsign", "false");
        return repo;
    }

    public void Write(string relative, string content)
    {
        var path = Path.Combine(Dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    /// <summary>Stages everything and commits; returns the full commit id.</summary>
    public string Commit(string message)
    {
        Git("add", "-A");
        Git("commit", "--quiet", "-m", message);
        return Git("rev-parse", "HEAD");
    }

    /// <summary>Runs git to its end (at most <paramref name="timeout"/>) and returns its exit code and output, whatever
    /// they are: for commands expected to fail, like a refused push. Never prompts for credentials.</summary>
    public Task<(int Code, string Out, string Err)> TryGitAsync(TimeSpan timeout, params string[] args) => TryGitAsync(timeout, null, args);

    /// <summary>As <see cref="TryGitAsync(TimeSpan, string[])"/>, handing <paramref name="onError"/> each piece of
    /// stderr as it arrives (what a push prints as the server streams it).</summary>
    public async Task<(int Code, string Out, string Err)> TryGitAsync(TimeSpan timeout, Action<string>? onError, params string[] args)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = Dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = ReadAsync(process.StandardError, onError);
        using var cts = new CancellationTokenSource(timeout);
        var exited = process.WaitForExitAsync(cts.Token);
        if (await Task.WhenAny(exited, error) == error && (error.IsFaulted || error.IsCanceled))
        {
            // The watcher stopped it (a pusher's Ctrl-C reaches git and its helpers at once): the whole tree, found before
            // any of it dies (a child of a killed git would be reparented, and missed, by Kill(entireProcessTree)).
            KillTree(process.Id);
            await error;
        }
        try
        {
            await exited;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"git {string.Join(' ', args)} ran over {timeout}: {await error}");
        }
        return (process.ExitCode, (await output).Trim(), (await error).Trim());
    }

    private static void KillTree(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (int.TryParse(Path.GetFileName(dir), out var pid))
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    parents[pid] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
            }
        }
        var tree = new List<int> { root };
        for (var i = 0; i < tree.Count; i++)
        {
            tree.AddRange(parents.Where(p => p.Value == tree[i]).Select(p => p.Key));
        }
        foreach (var pid in tree)
        {
            try
            {
                using var member = Process.GetProcessById(pid);
                member.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
            }
        }
    }

    private static async Task<string> ReadAsync(StreamReader reader, Action<string>? onPiece)
    {
        var all = new System.Text.StringBuilder();
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
        {
            var piece = new string(buffer, 0, n);
            all.Append(piece);
            onPiece?.Invoke(all.ToString());
        }
        return all.ToString();
    }

    public string Git(params string[] args)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = Dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {error}");
        }
        return output.Trim();
    }
}
