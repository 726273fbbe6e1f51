using System.Runtime.InteropServices;
using Slipway.Manifests;
using Slipway.Sandbox;

namespace Slipway.Deploy;

/// <summary>How each process of an app environment is confined, decided in one place for builds, release commands,
/// instances and cron command jobs: as the environment's own user (<see cref="AppUsers"/>), in a sandbox that shows
/// the platform's directories empty and the build read-only (writable while it is being built), in a cgroup with
/// its limits. Asks only for what this machine has (<see cref="HostSupport"/>): without bubblewrap or root the
/// processes run as the platform's user, as `slipway doctor` says.</summary>
internal sealed class AppIsolation(HostSupport host, AppUsers users, DeployOptions options)
{
    /// <summary>Defaults until a service declares its own: generous enough for a Node or .NET server, a ceiling on a
    /// runaway one.</summary>
    public static readonly ResourceLimits ServiceDefaults = new(MemoryBytes: 1L << 30, MaxPids: 1024);

    /// <summary>Builds get more memory (bundlers are hungry) and half the CPU weight of a live app.</summary>
    public static readonly ResourceLimits BuildDefaults = new(MemoryBytes: 4L << 30, MaxPids: 4096, CpuWeight: 50);

    [DllImport("libc", EntryPoint = "lchown", SetLastError = true)]
    private static extern int Lchown(string path, int uid, int gid);

    public HostSupport Host => host;

    /// <summary>Whether processes of apps run as their environment's user in a sandbox.</summary>
    public bool Sandboxed => host.CanSandbox;

    /// <summary>Install and build commands: the build directory writable, the environment's own dependency cache.</summary>
    public Isolation ForBuild(string appRow, string buildDir, ResourceLimits? limits = null) =>
        Confine(appRow, [new BindMount(buildDir, buildDir, ReadOnly: false), new BindMount(CacheDirOf(appRow), CacheDirOf(appRow), ReadOnly: false)],
            limits ?? BuildDefaults, $"{appRow}/build");

    /// <summary>Instances, release commands and cron command jobs of <paramref name="service"/>: the build read-only.</summary>
    public Isolation ForService(string appRow, string buildDir, ServiceSpec service, string purpose) =>
        Confine(appRow, [new BindMount(buildDir, buildDir)], ServiceDefaults, $"{appRow}/{purpose}");

    /// <summary>Variables every confined process of the environment gets in place of the platform's own: a home it may
    /// write (its private /tmp) and its own user name.</summary>
    public IReadOnlyDictionary<string, string> Variables(string appRow)
    {
        if (!Sandboxed)
        {
            return new Dictionary<string, string>();
        }
        var name = AppUsers.NameOf(appRow);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HOME"] = "/tmp",
            ["TMPDIR"] = "/tmp",
            ["USER"] = name,
            ["LOGNAME"] = name,
            ["DOTNET_CLI_HOME"] = "/tmp",
        };
    }

    /// <summary>The dependency cache of an environment's builds: its own when sandboxed (one build cannot poison
    /// another app's), created and given to its user; the shared one otherwise.</summary>
    public string CacheDirOf(string appRow)
    {
        if (!Sandboxed)
        {
            return options.CacheDir;
        }
        var dir = Path.Combine(options.CacheDir, "env", appRow);
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir);
        }
        Give(appRow, dir, onlyIfForeign: true);
        return dir;
    }

    /// <summary>Gives a build directory (its snapshot, made by the platform) to the environment's user, so its install
    /// and build commands can write it.</summary>
    public void GiveBuild(string appRow, string buildDir) => Give(appRow, buildDir, onlyIfForeign: false);

    private Isolation Confine(string appRow, IReadOnlyList<BindMount> mounts, ResourceLimits limits, string group)
    {
        var isolation = Isolation.None;
        if (host.CanLimit)
        {
            isolation = isolation with { Limits = limits, Group = group };
        }
        if (Sandboxed)
        {
            var user = users.For(appRow);
            var (passwd, groups) = users.PasswdFiles(user);
            isolation = isolation with
            {
                RunAs = user,
                View = new SandboxView
                {
                    Hidden = options.PrivateDirs,
                    Mounts = [new BindMount(passwd, "/etc/passwd"), new BindMount(groups, "/etc/group"), .. mounts],
                },
            };
        }
        return isolation;
    }

    /// <summary>chown -R (symbolic links themselves, never what they point at). With <paramref name="onlyIfForeign"/>,
    /// only when the top directory is not the user's yet (a cache made by an earlier platform on the same disk).</summary>
    private void Give(string appRow, string path, bool onlyIfForeign)
    {
        if (!Sandboxed)
        {
            return;
        }
        var user = users.For(appRow);
        // A cache given to this uid before says so by a mark inside it (the walk is skipped: caches grow large).
        var mark = Path.Combine(path, $".owned-by-{user.Uid}");
        if (onlyIfForeign && File.Exists(mark))
        {
            return;
        }
        _ = Lchown(path, user.Uid, user.Gid);
        if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null)
        {
            foreach (var entry in new DirectoryInfo(path).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }))
            {
                _ = Lchown(entry.FullName, user.Uid, user.Gid);
            }
            if (onlyIfForeign)
            {
                foreach (var stale in Directory.EnumerateFiles(path, ".owned-by-*"))
                {
                    File.Delete(stale);
                }
                File.WriteAllText(mark, "");
            }
        }
    }
}
