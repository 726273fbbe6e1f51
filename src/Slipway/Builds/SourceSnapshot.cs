using System.Diagnostics;

namespace Slipway.Builds;

/// <summary>Copies an app's source into a fresh build directory, so later edits to the working tree never
/// change what was deployed. Leaves out .git, node_modules and, in a git work tree, every ignored file.
/// Git URLs are cloned at the requested ref.</summary>
internal static class SourceSnapshot
{
    private static readonly HashSet<string> AlwaysSkipped = new(StringComparer.Ordinal) { ".git", "node_modules", ".slipway" };

    public static bool IsGitUrl(string source) =>
        source.Contains("://", StringComparison.Ordinal) || source.StartsWith("git@", StringComparison.Ordinal);

    /// <summary>A repository reached over the network (https, http, ssh, git): what a login or a token may deploy. A
    /// file:// URL or a local path would read the server's own repositories (other apps' remotes among them).</summary>
    public static bool IsNetworkGitUrl(string source) =>
        (Uri.TryCreate(source, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" or "ssh" or "git" && uri.Host.Length > 0)
        || System.Text.RegularExpressions.Regex.IsMatch(source, @"^git@[A-Za-z0-9.-]+:[^-]");

    /// <summary>Copies <paramref name="sourceDir"/> into <paramref name="destination"/>; returns the commit
    /// when the source is a git work tree (with "-dirty" when it has uncommitted changes).</summary>
    public static async Task<State.CommitInfo?> CopyLocalAsync(string sourceDir, string destination, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(destination);
        // Tracked files (into checked-out submodules), then untracked ones that are not ignored: git cannot
        // list both in one call when recursing into submodules.
        var listed = await GitAsync(sourceDir, cancellationToken, "ls-files", "-z", "--cached", "--recurse-submodules");
        var untracked = listed.ExitCode == 0
            ? await GitAsync(sourceDir, cancellationToken, "ls-files", "-z", "--others", "--exclude-standard")
            : listed;
        IEnumerable<string> files = listed.ExitCode == 0
            ? listed.Output.Split('\0', StringSplitOptions.RemoveEmptyEntries)
                .Concat(untracked.Output.Split('\0', StringSplitOptions.RemoveEmptyEntries)).Distinct()
            : WalkFiles(sourceDir, "");
        foreach (var relative in files)
        {
            if (relative.Split('/').Any(AlwaysSkipped.Contains))
            {
                continue;
            }
            var from = Path.Combine(sourceDir, relative);
            var to = Path.Combine(destination, relative);
            if (new FileInfo(from).LinkTarget is { } link)
            {
                CopyLink(sourceDir, relative, link, to);
                continue;
            }
            if (!File.Exists(from))
            {
                continue; // tracked but deleted in the work tree
            }
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(from, to, overwrite: true);
        }
        if (listed.ExitCode != 0)
        {
            return null;
        }
        var head = await GitAsync(sourceDir, cancellationToken, "rev-parse", "--short=12", "HEAD");
        if (head.ExitCode != 0)
        {
            return null;
        }
        var dirty = await GitAsync(sourceDir, cancellationToken, "status", "--porcelain", "--", ".");
        return await DescribeAsync(sourceDir, head.Output.Trim() + (dirty.Output.Trim().Length > 0 ? "-dirty" : ""), cancellationToken);
    }

    /// <summary>The subject and author of HEAD in <paramref name="workTree"/>, for the commit <paramref name="sha"/> names.</summary>
    private static async Task<State.CommitInfo> DescribeAsync(string workTree, string sha, CancellationToken cancellationToken)
    {
        var log = await GitAsync(workTree, cancellationToken, "log", "-1", "--format=%s%x00%an <%ae>", "HEAD");
        var parts = log.ExitCode == 0 ? log.Output.TrimEnd('\n').Split('\0') : [];
        return parts.Length == 2
            ? new State.CommitInfo(sha, Shorten(parts[0]), parts[1])
            : new State.CommitInfo(sha);
    }

    private static string Shorten(string subject) =>
        subject.Length <= State.CommitInfo.MaxSubject ? subject : subject[..(State.CommitInfo.MaxSubject - 1)] + "…";

    /// <summary>Clones <paramref name="url"/> at <paramref name="gitRef"/> (branch, tag or commit) and copies
    /// its tracked files into <paramref name="destination"/>. Returns the commit. <paramref name="authorization"/>, when
    /// given, goes to the server as an Authorization header (git's http.extraHeader, through the environment: never in
    /// a command line or the URL).</summary>
    public static async Task<State.CommitInfo> CloneAsync(string url, string? gitRef, string destination, Action<string> log, CancellationToken cancellationToken,
        string? authorization = null)
    {
        if (gitRef is not null && (gitRef.StartsWith('-') || gitRef.Any(char.IsWhiteSpace)))
        {
            throw new UserException($"'{gitRef}' is not a git ref: give a branch, tag or commit (a name does not start with '-').");
        }
        var checkout = destination + ".git-checkout";
        if (Directory.Exists(checkout))
        {
            Directory.Delete(checkout, recursive: true);
        }
        var auth = authorization is null ? null : new Dictionary<string, string>
        {
            ["GIT_CONFIG_COUNT"] = "1",
            // Scoped to the repository's URL: a submodule elsewhere (a .gitmodules anyone who can open a pull request
            // may write) must never be sent the token.
            ["GIT_CONFIG_KEY_0"] = $"http.{url}.extraHeader",
            ["GIT_CONFIG_VALUE_0"] = "Authorization: " + authorization,
        };
        try
        {
            log($"cloning {url}" + (gitRef is null ? "" : $" at {gitRef}"));
            if (await FetchCommitAsync(url, gitRef, checkout, auth, cancellationToken) is not true)
            {
                await CloneRefAsync(url, gitRef, checkout, auth, cancellationToken);
            }
            var modules = await RunGitAsync(checkout, auth, cancellationToken, "-c", "protocol.file.allow=never",
                "submodule", "update", "--init", "--recursive", "--depth", "1", "--quiet");
            if (modules.ExitCode != 0)
            {
                throw new UserException($"git submodules of {url} could not be fetched: {modules.Error.Trim()}.");
            }
            var head = await GitAsync(checkout, cancellationToken, "rev-parse", "--short=12", "HEAD");
            await CopyLocalAsync(checkout, destination, cancellationToken);
            return await DescribeAsync(checkout, head.Output.Trim(), cancellationToken);
        }
        finally
        {
            if (Directory.Exists(checkout))
            {
                Directory.Delete(checkout, recursive: true);
            }
        }
    }

    /// <summary>A full commit id is fetched alone, one commit deep (GitHub, GitLab and Gitea allow fetching a commit
    /// by id): a webhook's push deploys exactly that commit, not whatever the branch is by the time the build starts.
    /// Null when <paramref name="gitRef"/> is no full commit id; false when the server would not give it.</summary>
    private static async Task<bool?> FetchCommitAsync(string url, string? gitRef, string checkout, Dictionary<string, string>? auth, CancellationToken cancellationToken)
    {
        if (gitRef is not { Length: 40 or 64 } || !gitRef.All(char.IsAsciiHexDigit))
        {
            return null;
        }
        Directory.CreateDirectory(checkout);
        if ((await GitAsync(checkout, cancellationToken, "init", "--quiet")).ExitCode != 0
            || (await RunGitAsync(checkout, auth, cancellationToken, "fetch", "--quiet", "--depth", "1", "--", url, gitRef)).ExitCode != 0
            || (await GitAsync(checkout, cancellationToken, "-c", "advice.detachedHead=false", "checkout", "--quiet", "FETCH_HEAD")).ExitCode != 0)
        {
            Directory.Delete(checkout, recursive: true);
            return false;
        }
        return true;
    }

    private static async Task CloneRefAsync(string url, string? gitRef, string checkout, Dictionary<string, string>? auth, CancellationToken cancellationToken)
    {
        var shallow = gitRef is null
            ? await RunGitAsync(null, auth, cancellationToken, "clone", "--quiet", "--depth", "1", "--", url, checkout)
            : await RunGitAsync(null, auth, cancellationToken, "clone", "--quiet", "--depth", "1", "--branch", gitRef, "--", url, checkout);
        if (shallow.ExitCode == 0)
        {
            return;
        }
        // A commit id (or a short one) cannot be cloned shallowly by name: clone everything, then check it out.
        if (Directory.Exists(checkout))
        {
            Directory.Delete(checkout, recursive: true);
        }
        var full = await RunGitAsync(null, auth, cancellationToken, "clone", "--quiet", "--no-checkout", "--", url, checkout);
        if (full.ExitCode != 0)
        {
            throw new UserException($"git clone {url} failed: {full.Error.Trim()}. Check the URL and that this machine can reach it.");
        }
        var co = await GitAsync(checkout, cancellationToken, "-c", "advice.detachedHead=false", "checkout", "--quiet", gitRef ?? "HEAD");
        if (co.ExitCode != 0)
        {
            throw new UserException($"git ref '{gitRef}' not found in {url}: {co.Error.Trim()}. Give a branch, tag or commit that exists.");
        }
    }

    /// <summary>A symlink is recreated as a symlink when it points inside the source; one that points outside
    /// is refused: following it would copy (and maybe serve) a file of this machine that is not the app's.</summary>
    private static void CopyLink(string sourceDir, string relative, string link, string to)
    {
        var linkPath = Path.Combine(sourceDir, relative);
        var resolved = RealPaths.Resolve(linkPath);
        var root = RealPaths.Resolve(sourceDir) ?? Path.GetFullPath(sourceDir);
        if (resolved is null || !RealPaths.IsUnderResolved(resolved, root))
        {
            throw new UserException($"'{relative}' is a symbolic link to '{link}', which leads outside the app's source (or nowhere). " +
                "Slipway copies only the app's own files: replace the link with the file itself, or point it inside the source.");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        // Recreated relative to where the link sits in the snapshot, pointing at the same file of the source.
        var linkDir = Path.GetDirectoryName(Path.Combine(root, relative))!;
        File.CreateSymbolicLink(to, Path.GetRelativePath(RealPaths.Resolve(Path.GetDirectoryName(linkPath)!) ?? linkDir, resolved));
    }

    private static IEnumerable<string> WalkFiles(string root, string relative)
    {
        var dir = Path.Combine(root, relative);
        foreach (var file in Directory.EnumerateFiles(dir))
        {
            yield return Path.Combine(relative, Path.GetFileName(file)).Replace('\\', '/');
        }
        foreach (var sub in Directory.EnumerateDirectories(dir))
        {
            var name = Path.GetFileName(sub);
            if (AlwaysSkipped.Contains(name))
            {
                continue;
            }
            if (new FileInfo(sub).LinkTarget is not null)
            {
                yield return Path.Combine(relative, name).Replace('\\', '/'); // recreated as a link, not walked
                continue;
            }
            foreach (var file in WalkFiles(root, Path.Combine(relative, name)))
            {
                yield return file;
            }
        }
    }

    private static Task<(int ExitCode, string Output, string Error)> GitAsync(string? workingDirectory, CancellationToken cancellationToken, params string[] args) =>
        RunGitAsync(workingDirectory, null, cancellationToken, args);

    private static async Task<(int ExitCode, string Output, string Error)> RunGitAsync(string? workingDirectory, IReadOnlyDictionary<string, string>? environment,
        CancellationToken cancellationToken, params string[] args)
    {
        var psi = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }
        Process process;
        try
        {
            process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No git on this machine: local sources are copied by walking the directory instead.
            return (127, "", "git is not installed (apt-get install git)");
        }
        using var _ = process;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await output, await error);
    }
}
