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

    /// <summary>Runs git to its end: its exit code, standard output and standard error.</summary>
    public static async Task<(int Code, string Output, string Errors)> RunAsync(string workingDirectory, IEnumerable<KeyValuePair<string, string>> environment,
        CancellationToken token, params string[] args)
    {
        using var git = Start(workingDirectory, environment, input: false, args);
        var output = git.StandardOutput.ReadToEndAsync(token);
        var errors = git.StandardError.ReadToEndAsync(token);
        await git.WaitForExitAsync(token);
        return (git.ExitCode, await output, (await errors).Trim());
    }
}
