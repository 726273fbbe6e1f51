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

    private object? _privateDirsMade;

    public HostSupport Host => host;

    /// <summary>Whether processes of apps run as their environment's user in a sandbox.</summary>
    public bool Sandboxed => host.CanSandbox;

    /// <summary>The uid the processes of <paramref name="appRow"/> open their sockets as (the platform's when not sandboxed).</summary>
    public int UidOf(string appRow) => Sandboxed ? users.For(appRow).Uid : 0;

    /// <summary>Install and build commands: the build directory writable, the environment's own dependency cache.</summary>
    public Isolation ForBuild(string appRow, string buildDir, long? memoryBytes = null) =>
        Confine(appRow, [new BindMount(buildDir, buildDir, ReadOnly: false), new BindMount(CacheDirOf(appRow), CacheDirOf(appRow), ReadOnly: false)],
            memoryBytes is { } memory ? BuildDefaults with { MemoryBytes = memory } : BuildDefaults, $"{appRow}/build", []);

    /// <summary>Instances, release commands and cron command jobs of <paramref name="service"/>: the build read-only,
    /// the environment's volumes writable, the service's own limits.</summary>
    public Isolation ForService(Release release, ServiceSpec service, string purpose)
    {
        var volumes = release.Spec.Volumes;
        var mounts = new List<BindMount> { new(release.BuildDir, release.BuildDir) };
        foreach (var volume in volumes)
        {
            var dir = VolumeDir(release.App, volume.Name);
            var target = volume.IsRelative ? Path.Combine(release.BuildDir, volume.Path) : volume.Path;
            if (Sandboxed)
            {
                MountPoint(volume, release.BuildDir, target);
                mounts.Add(new BindMount(dir, target, ReadOnly: false));
            }
            else
            {
                LinkInstead(volume, target, dir);
            }
        }
        return Confine(release.App, mounts, LimitsOf(service.Resources), $"{release.App}/{purpose}",
            volumes.Any(v => !v.IsRelative) ? [VolumeSpec.AbsoluteRoot] : []);
    }

    /// <summary>A service's declared resources over the defaults.</summary>
    public static ResourceLimits LimitsOf(ResourcesSpec resources) => ServiceDefaults with
    {
        MemoryBytes = resources.MemoryBytes ?? ServiceDefaults.MemoryBytes,
        MaxPids = resources.Pids ?? ServiceDefaults.MaxPids,
        Cpus = resources.Cpus,
    };

    /// <summary>Where an environment's volume lives on the host: DATA/volumes/ENV/NAME, given to the environment's user.</summary>
    public string VolumeDir(string appRow, string name)
    {
        var dir = AppVolumes.DirOf(options, appRow, name);
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir);
        }
        Give(appRow, dir, mark: Path.Combine(options.DataDir, "volumes", appRow, $".{name}.owned-by-{{0}}"));
        return dir;
    }

    /// <summary>The volumes a deploy asks for that this machine cannot mount, said before anything is built.</summary>
    public void CheckVolumes(AppSpec spec)
    {
        if (!Sandboxed && spec.Volumes.FirstOrDefault(v => !v.IsRelative) is { } absolute)
        {
            throw new DeployFailure("config",
                $"volumes.{absolute.Name}: \"{absolute.Path}\" can be mounted only inside the app sandbox, which this machine does not run " +
                $"({string.Join("; ", host.Gaps())}); use a path relative to the app, like \"{absolute.Name}\", or run the platform as root with bubblewrap installed. " +
                "The live version keeps serving", []);
        }
    }

    // A bind mount needs a directory to mount on; inside the build it is made by the platform (the build is read-only
    // to the app). The build's files came from the app's user, so no link in it is followed: a directory made through
    // `ln -s /etc data` would be the platform (root) making directories wherever the build points. One component at a
    // time, each checked without following links; nothing of the app's user runs in this build meanwhile.
    private static void MountPoint(VolumeSpec volume, string buildDir, string target)
    {
        if (!volume.IsRelative)
        {
            return;
        }
        var current = buildDir;
        foreach (var part in volume.Path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            var info = new FileInfo(current);
            if (info.LinkTarget is not null || (info.Exists && !Directory.Exists(current)))
            {
                var at = Path.GetRelativePath(buildDir, current);
                throw new DeployFailure("start", $"volumes.{volume.Name}: the build has a {(info.LinkTarget is null ? "file" : "symbolic link")} at \"{at}\" " +
                    $"where the volume \"{volume.Path}\" is mounted; remove it from the source (or from what the build writes) or mount the volume at another path. " +
                    "The live version keeps serving", []);
            }
            if (!Directory.Exists(current))
            {
                Directory.CreateDirectory(current);
            }
        }
        System.Diagnostics.Debug.Assert(current == target);
    }

    // Without a sandbox a relative volume is a symbolic link in the build (what the repository had there is replaced, as a mount hides it).
    private static void LinkInstead(VolumeSpec volume, string target, string dir)
    {
        var info = new DirectoryInfo(target);
        if (info.LinkTarget == dir)
        {
            return;
        }
        if (info.LinkTarget is not null || File.Exists(target))
        {
            File.Delete(target);
        }
        else if (info.Exists)
        {
            info.Delete(recursive: true);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        Directory.CreateSymbolicLink(target, dir);
    }

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
        Give(appRow, dir, mark: Path.Combine(dir, ".owned-by-{0}"));
        return dir;
    }

    /// <summary>A destroyed environment's own dependency cache goes with it.</summary>
    public void DeleteCache(string appRow)
    {
        var dir = Path.Combine(options.CacheDir, "env", appRow);
        // A cache is only ever a speed-up: a delete that races a writer (files appear while the tree is removed; tests
        // share one cache between platforms with same-named apps) is tried again, then left for the next environment
        // of that name to reuse, never a failed destroy.
        for (var attempt = 1; Sandboxed && Directory.Exists(dir) && attempt <= 3; attempt++)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException) when (attempt < 3)
            {
            }
            catch (IOException)
            {
                return;
            }
        }
    }

    /// <summary>Gives a build directory (its snapshot, made by the platform) to the environment's user, so its install
    /// and build commands can write it.</summary>
    public void GiveBuild(string appRow, string buildDir) => Give(appRow, buildDir, mark: null);

    private Isolation Confine(string appRow, IReadOnlyList<BindMount> mounts, ResourceLimits limits, string group, IReadOnlyList<string> alsoHidden)
    {
        // Hidden directories must exist before the first sandbox starts: a sandbox sees the host's directories live, so
        // one made later (the databases' root, on their first use) would appear in it.
        _privateDirsMade ??= MakePrivateDirs();
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
                    Hidden = [.. options.PrivateDirs, .. alsoHidden, .. Untraversable(mounts.Select(m => m.Target))],
                    Mounts = [new BindMount(passwd, "/etc/passwd"), new BindMount(groups, "/etc/group"), .. mounts],
                },
            };
        }
        return isolation;
    }

    /// <summary>Directories on the way to a mount that others may not enter (a 0700 parent of the data directory, as
    /// mktemp makes): the app's user could not reach its own build below them. Each becomes an empty directory in the
    /// sandbox, with only the mounts under it: nothing is lost, since the app could not read it anyway.</summary>
    private static IEnumerable<string> Untraversable(IEnumerable<string> targets)
    {
        foreach (var target in targets)
        {
            var parts = target.Split('/', StringSplitOptions.RemoveEmptyEntries);
            for (var i = 1; i < parts.Length; i++)
            {
                var dir = "/" + string.Join('/', parts.Take(i));
                if (Directory.Exists(dir) && (File.GetUnixFileMode(dir) & UnixFileMode.OtherExecute) == 0)
                {
                    yield return dir;
                    break;
                }
            }
        }
    }

    private object MakePrivateDirs()
    {
        if (Sandboxed)
        {
            foreach (var dir in options.PrivateDirs)
            {
                Directory.CreateDirectory(dir);
            }
        }
        return true;
    }

    /// <summary>chown -R (symbolic links themselves, never what they point at). With a <paramref name="mark"/> (a file
    /// name format taking the uid), only when the mark for this uid is not there yet: once per directory and uid.</summary>
    private void Give(string appRow, string path, string? mark)
    {
        if (!Sandboxed)
        {
            return;
        }
        var user = users.For(appRow);
        // A directory given to this uid before says so by a mark (the walk is skipped: caches and volumes grow large).
        var marked = mark is null ? null : string.Format(System.Globalization.CultureInfo.InvariantCulture, mark, user.Uid);
        if (marked is not null && File.Exists(marked))
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
            if (marked is not null)
            {
                var pattern = Path.GetFileName(string.Format(System.Globalization.CultureInfo.InvariantCulture, mark!, "*"));
                foreach (var stale in Directory.EnumerateFiles(Path.GetDirectoryName(marked)!, pattern))
                {
                    File.Delete(stale);
                }
                File.WriteAllText(marked, "");
            }
        }
    }
}
