namespace Slipway.Sandbox;

/// <summary>The command line that starts a process confined by its <see cref="Isolation"/>. Pure, so tests check it
/// exactly; each wrapper execs the next, so the pid the platform holds leads the whole tree's process group:
///
///   setsid ─► sh (joins the cgroup, then exec) ─► nice/ionice (builds) ─► bwrap (own root, /tmp, /dev, /proc and
///   pid namespace) ─► setpriv (the app's uid and gid, no capabilities, no_new_privs) ─► /bin/sh -c COMMAND | PROGRAM
///
/// The sandbox's root is an empty tmpfs with the host's top-level directories bound read-only into it, but the
/// platform's home and other users' homes; hidden directories (the platform's data) become empty ones, and the
/// view's mounts (the build, volumes, the user database naming the app's user) are bound on top.</summary>
internal static class ConfinedCommand
{
    /// <summary>Top-level entries of the host's / that a sandbox never gets: the kernel's own filesystems (made
    /// fresh), /tmp (private), and the homes of the platform and of people.</summary>
    private static readonly HashSet<string> NotBound = new(StringComparer.Ordinal) { "proc", "dev", "tmp", "root", "home", "lost+found", "boot" };

    /// <summary>Joins every cgroup.procs file given before "--", then execs the rest: the process is counted and
    /// limited before it runs anything of the app.</summary>
    public const string JoinScript = "while [ \"$1\" != -- ]; do echo $$ > \"$1\" || exit 125; shift; done; shift; exec \"$@\"";

    /// <summary>Opens the two output FIFOs given before "--" read-write as stdout and stderr (stdin from /dev/null),
    /// then execs the rest: as root, before the uid switch, so the app's user needs no access to the run directory, and
    /// read-write, so the pipe keeps a reader while no platform process reads it (see Runtime/OutputFifo).</summary>
    public const string OutputScript = "exec </dev/null 1<>\"$1\" 2<>\"$2\" || exit 125; shift 3; exec \"$@\"";

    /// <param name="root">The host's top-level entries (see <see cref="RootEntry"/>).</param>
    /// <param name="tools">Where bwrap and setpriv are.</param>
    /// <param name="output">The stdout and stderr FIFOs of a process that outlives the platform; empty: the launcher's pipes.</param>
    public static IReadOnlyList<string> Build(string program, IReadOnlyList<string> arguments, string workingDirectory, Isolation isolation,
        bool lowPriority, IReadOnlyList<string> cgroupProcs, IReadOnlyList<RootEntry> root, SandboxTools tools, IReadOnlyList<string>? output = null)
    {
        var line = new List<string>();
        if (output is [var stdout, var stderr])
        {
            line.AddRange(["/bin/sh", "-c", OutputScript, "slipway-output", stdout, stderr, "--"]);
        }
        if (cgroupProcs.Count > 0)
        {
            line.AddRange(["/bin/sh", "-c", JoinScript, "slipway-join", .. cgroupProcs, "--"]);
        }
        if (lowPriority)
        {
            line.AddRange(["nice", "-n", "10", "ionice", "-c", "3"]);
        }
        if (isolation.View is { } view)
        {
            line.Add(tools.Bwrap);
            line.AddRange(BwrapArguments(view, workingDirectory, root));
            line.Add("--");
        }
        if (isolation.RunAs is { } user)
        {
            line.Add(tools.Setpriv);
            line.AddRange(user.SetprivArguments(dropEverything: isolation.View is not null || !user.InPasswd));
        }
        line.Add(program);
        line.AddRange(arguments);
        return line;
    }

    public static IReadOnlyList<string> BwrapArguments(SandboxView view, string workingDirectory, IReadOnlyList<RootEntry> root)
    {
        var args = new List<string>();
        var bound = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in root.Where(e => !NotBound.Contains(e.Name)).OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (entry.LinkTarget is { } target)
            {
                args.AddRange(["--symlink", target, "/" + entry.Name]);
            }
            else
            {
                args.AddRange(["--ro-bind", "/" + entry.Name, "/" + entry.Name]);
            }
            bound.Add("/" + entry.Name);
        }
        args.AddRange(["--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--tmpfs", "/tmp"]);
        // Empty in place of what must not be seen; a hidden path under another is covered by it already.
        var covering = new List<string> { "/tmp" };
        foreach (var hidden in view.Hidden.Select(Normalize).Distinct(StringComparer.Ordinal).OrderBy(p => p.Length))
        {
            if (covering.Any(c => IsUnder(hidden, c)) || !bound.Any(b => IsUnder(hidden, b)))
            {
                continue;
            }
            args.AddRange(["--perms", "0755", "--tmpfs", hidden]);
            covering.Add(hidden);
        }
        var made = new HashSet<string>(StringComparer.Ordinal);
        foreach (var mount in view.Mounts)
        {
            var target = Normalize(mount.Target);
            // Parents that exist only in the sandbox (under a tmpfs, or outside every bound top-level directory) are
            // made readable by all, so the app's user can reach what is bound below them.
            foreach (var parent in Ancestors(target))
            {
                var fresh = covering.Any(c => IsUnder(parent, c) && parent != c) || !bound.Any(b => IsUnder(parent, b));
                if (fresh && made.Add(parent))
                {
                    args.AddRange(["--perms", "0755", "--dir", parent]);
                }
            }
            args.AddRange([mount.ReadOnly ? "--ro-bind" : "--bind", mount.Source, target]);
        }
        args.AddRange(["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "app", "--chdir", workingDirectory]);
        return args;
    }

    private static IEnumerable<string> Ancestors(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 1; i < parts.Length; i++)
        {
            yield return "/" + string.Join('/', parts.Take(i));
        }
    }

    private static bool IsUnder(string path, string dir) =>
        path == dir || path.StartsWith(dir.TrimEnd('/') + "/", StringComparison.Ordinal);

    private static string Normalize(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
}

/// <summary>An entry of the host's /: a directory (bound read-only) or a symbolic link (made again, as /bin → usr/bin).</summary>
internal sealed record RootEntry(string Name, string? LinkTarget = null)
{
    public static IReadOnlyList<RootEntry> ReadHost() =>
        new DirectoryInfo("/").EnumerateFileSystemInfos()
            .Where(e => e.LinkTarget is not null || e is DirectoryInfo)
            .Select(e => new RootEntry(e.Name, e.LinkTarget))
            .ToList();
}

internal sealed record SandboxTools(string Bwrap, string Setpriv);
