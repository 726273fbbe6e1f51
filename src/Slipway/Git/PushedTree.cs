using System.Diagnostics;
using Slipway.State;

namespace Slipway.Git;

/// <summary>Reads a pushed commit while git still holds it in quarantine (objects not yet in the repository, refs not
/// yet moved): its files into a directory, its message and author, and whether it descends from a branch's current
/// commit. Git is pointed at the quarantine the way receive-pack points its hooks at it.</summary>
internal static class PushedTree
{
    /// <summary>The files of <paramref name="commit"/> (git archive: tracked files, no .git), into <paramref name="dir"/>.</summary>
    public static async Task ExportAsync(string repo, string quarantine, string commit, string dir, CancellationToken token)
    {
        Directory.CreateDirectory(dir);
        using var git = Start(repo, quarantine, "archive", "--format=tar", commit);
        var errors = git.StandardError.ReadToEndAsync(token);
        try
        {
            await Builds.SourceArchive.UnpackTarAsync(git.StandardOutput.BaseStream, dir, "push", token);
            // git writes the archive's end (zero blocks padded to a whole record) after the last entry: read it all, so
            // git ends by itself rather than being killed with its exit code lost.
            await git.StandardOutput.BaseStream.CopyToAsync(Stream.Null, token);
        }
        catch
        {
            await GitProcess.StopAsync(git);
            throw;
        }
        try
        {
            await git.WaitForExitAsync(token);
        }
        catch (OperationCanceledException)
        {
            await GitProcess.StopAsync(git);
            throw;
        }
        if (git.ExitCode != 0)
        {
            throw new UserException($"git archive {commit[..12]} failed: {(await errors).Trim()}");
        }
    }

    /// <summary>The commit's short id (12 digits, as deployments show commits), subject and author.</summary>
    public static async Task<CommitInfo> DescribeAsync(string repo, string quarantine, string commit, CancellationToken token)
    {
        var (code, output) = await RunAsync(repo, quarantine, token, "log", "-1", "--format=%s%x00%an <%ae>", commit);
        var parts = code == 0 ? output.TrimEnd('\n').Split('\0') : [];
        var subject = parts.Length == 2 ? parts[0] : null;
        if (subject is { Length: > CommitInfo.MaxSubject })
        {
            subject = subject[..(CommitInfo.MaxSubject - 1)] + "…";
        }
        return new CommitInfo(commit[..12], subject, parts.Length == 2 ? parts[1] : null);
    }

    /// <summary>Where <paramref name="branch"/> is in the repository now (null: it does not exist).</summary>
    public static async Task<string?> BranchHeadAsync(string repo, string quarantine, string branch, CancellationToken token)
    {
        var (code, output) = await RunAsync(repo, quarantine, token, "rev-parse", "--verify", "--quiet", "refs/heads/" + branch);
        return code == 0 ? output.Trim() : null;
    }

    /// <summary>Whether <paramref name="commit"/> descends from <paramref name="ancestor"/> (a fast-forward).</summary>
    public static async Task<bool> DescendsAsync(string repo, string quarantine, string ancestor, string commit, CancellationToken token) =>
        (await RunAsync(repo, quarantine, token, "merge-base", "--is-ancestor", ancestor, commit)).Code == 0;

    private static async Task<(int Code, string Output)> RunAsync(string repo, string quarantine, CancellationToken token, params string[] args)
    {
        var (code, output, _) = await GitProcess.RunAsync(repo, Quarantined(repo, quarantine), token, ["--git-dir=" + repo, .. args]);
        return (code, output);
    }

    private static Process Start(string repo, string quarantine, params string[] args) =>
        GitProcess.Start(repo, Quarantined(repo, quarantine), input: false, ["--git-dir=" + repo, .. args]);

    /// <summary>Where receive-pack keeps a push's objects until it is accepted: git reads them there, and the
    /// repository's own objects beside them.</summary>
    private static Dictionary<string, string> Quarantined(string repo, string quarantine) => new()
    {
        ["GIT_OBJECT_DIRECTORY"] = quarantine,
        ["GIT_ALTERNATE_OBJECT_DIRECTORIES"] = Path.Combine(repo, "objects"),
    };
}
