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
    public async Task<(int Code, string Out, string Err)> TryGitAsync(TimeSpan timeout, params string[] args)
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
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"git {string.Join(' ', args)} ran over {timeout}: {await error}");
        }
        return (process.ExitCode, (await output).Trim(), (await error).Trim());
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
