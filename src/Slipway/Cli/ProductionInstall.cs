using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Slipway.Cli;

/// <summary>The files of a production install under a root ("" for the machine itself, a directory for tests and
/// packaging), and the steps that write and remove them. Nothing here starts or stops a service
/// (<see cref="InstallCommands"/> does):
///
///   /usr/local/lib/slipway/versions/ID/   one program per version: a build directory, or its single-file executable
///   /usr/local/lib/slipway/current        -> versions/ID, the newest install (a symlink swapped by one rename)
///   /usr/local/bin/slipway                a launcher script that runs current (as root, commands talk to the installed platform)
///   /etc/systemd/system/slipway.service
///   /var/lib/slipway/data/                the platform's data directory, or --data (kept by an uninstall without --purge)
///   /var/lib/slipway/databases/           the managed PostgreSQL and redis (reachable by their unprivileged user)
///
/// Versions sit side by side, as the ./slipway wrapper keeps its builds: an install never writes over the files of a
/// running platform, so an upgrade starts the new version beside the old one (ExecReload, `slipway upgrade`) and a
/// crash restart runs whatever current names. ID is the program's version and a short hash of its files; the newest
/// <see cref="KeepVersions"/> are kept, and any older one a running process executes from (/proc/*/exe).</summary>
internal sealed class ProductionInstall(string root)
{
    /// <summary>The program to install: a build directory, or (<see cref="SingleFile"/>) one self-contained executable.</summary>
    public sealed record ProgramSource(string Directory, string? SingleFile)
    {
        /// <summary>The program this process runs: a single-file executable when no slipway.dll lies beside it.</summary>
        public static ProgramSource Running()
        {
            var directory = AppContext.BaseDirectory.TrimEnd('/');
            if (File.Exists(Path.Combine(directory, "slipway.dll")))
            {
                return File.Exists(Path.Combine(directory, "slipway")) && File.Exists(Path.Combine(directory, "slipway.deps.json"))
                    ? new ProgramSource(directory, null)
                    : throw new UserException($"{directory} is not a complete build of Slipway (no slipway executable or slipway.deps.json beside slipway.dll). " +
                        "Run install from a built Slipway: sudo ./slipway install (from the repository).");
            }
            return Environment.ProcessPath is { } self && RealPaths.Resolve(self) is { } real
                ? new ProgramSource(Path.GetDirectoryName(real)!, real)
                : throw new UserException("Cannot tell which file this slipway runs from. Run install from a built Slipway: sudo ./slipway install (from the repository).");
        }

        /// <summary>A build that needs the shared .NET runtime (no libcoreclr.so of its own).</summary>
        public bool FrameworkDependent => SingleFile is null && !File.Exists(Path.Combine(Directory, "libcoreclr.so"));
    }

    public const string UnitPath = "/etc/systemd/system/slipway.service";
    public const string ProgramDir = "/usr/local/lib/slipway";
    public const string VersionsDir = ProgramDir + "/versions";
    public const string CurrentLink = ProgramDir + "/current";

    /// <summary>The program of the newest install, through <see cref="CurrentLink"/>: what the launcher runs.</summary>
    public const string CurrentProgram = CurrentLink + "/slipway";

    /// <summary>How many versions an install keeps (the newest), besides any a running process executes from.</summary>
    public const int KeepVersions = 3;
    public const string LauncherPath = "/usr/local/bin/slipway";
    public const string StateRoot = "/var/lib/slipway";
    public const string DatabasesDir = StateRoot + "/databases";

    /// <summary>In the program directory and in each version's: says this program put it there. A version's is
    /// touched when the version is installed (again): its time orders the versions by age.</summary>
    private const string ProgramMarker = ".slipway-install";

    /// <summary>The new <see cref="CurrentLink"/> before it is renamed over the old one.</summary>
    private const string NextLink = ".current.new";

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode Public = Private | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    private const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Where <paramref name="path"/> (a path of the target machine) is on this one.</summary>
    public string OnDisk(string path) => root.Length == 0 ? path : Path.Join(root, path);

    /// <summary>The settings of the unit installed now, when this program wrote it.</summary>
    public InstallSpec? Installed() => File.Exists(OnDisk(UnitPath)) ? SystemdUnit.Read(File.ReadAllText(OnDisk(UnitPath))) : null;

    public bool IsInstalled => File.Exists(OnDisk(UnitPath)) || File.Exists(OnDisk(LauncherPath)) || Directory.Exists(OnDisk(ProgramDir));

    private bool LauncherExists =>
        File.Exists(OnDisk(LauncherPath)) || Directory.Exists(OnDisk(LauncherPath)) || new FileInfo(OnDisk(LauncherPath)).LinkTarget is not null;

    /// <summary>A regular file (not a link someone made to their own build) that names this program as its writer.</summary>
    private bool IsOurLauncher => new FileInfo(OnDisk(LauncherPath)) is { Exists: true, LinkTarget: null } launcher && Head(launcher.FullName).Contains(SystemdUnit.Marker, StringComparison.Ordinal);

    /// <summary>The first bytes of a file as text: enough for the launcher's mark, little of an executable someone put there.</summary>
    private static string Head(string path)
    {
        using var file = File.OpenRead(path);
        var buffer = new byte[512];
        return System.Text.Encoding.UTF8.GetString(buffer, 0, file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false));
    }

    /// <summary>Files at the install's paths that this program did not write (or that were changed since), each with
    /// what it is; an install replaces them only with --force.</summary>
    public IReadOnlyList<string> ForeignFiles()
    {
        var found = new List<string>();
        if (File.Exists(OnDisk(UnitPath)) && SystemdUnit.Owner(File.ReadAllText(OnDisk(UnitPath))) is var owner and not UnitOwner.Ours)
        {
            found.Add(owner == UnitOwner.Changed ? $"{UnitPath} (written by slipway install, then changed by hand)" : $"{UnitPath} (not written by slipway install)");
        }
        if (LauncherExists && !IsOurLauncher)
        {
            found.Add($"{LauncherPath} (not written by slipway install)");
        }
        if (Directory.Exists(OnDisk(ProgramDir)) && !File.Exists(Path.Combine(OnDisk(ProgramDir), ProgramMarker)))
        {
            found.Add($"{ProgramDir} (not written by slipway install)");
        }
        return found;
    }

    /// <summary>Copies the program into a version directory of its own (kept when that version is already there, as
    /// it may be running), points current at it, writes the launcher and the unit, prunes old versions, and creates the
    /// data directories; returns the version's ID. Idempotent: run again, it upgrades. The program is
    /// <paramref name="source"/>: a build's directory (slipway.dll, its dependencies, the slipway apphost) copied whole,
    /// or a self-contained single-file executable copied alone as "slipway" (never the directory it was downloaded to).</summary>
    public string Install(InstallSpec spec, ProgramSource source, string? dotnetRoot)
    {
        var program = OnDisk(ProgramDir);
        var versions = OnDisk(VersionsDir);
        CreateDirectory(program, Public);
        CreateDirectory(versions, Public);
        File.WriteAllText(Path.Combine(program, ProgramMarker), "Written by 'slipway install': the installed versions of Slipway.\n");
        // Leftovers of an install by a version that swapped the whole program directory.
        DeleteTree(program + ".new");
        DeleteTree(program + ".old");

        var id = VersionId(RunningVersion(), ContentHash(source));
        var target = Path.Combine(versions, id);
        var marker = Path.Combine(target, ProgramMarker);
        if (Directory.Exists(target) && File.Exists(marker))
        {
            // The same program is installed already (perhaps running): its files stay as they are; it becomes the newest.
            File.SetLastWriteTimeUtc(marker, DateTime.UtcNow);
        }
        else
        {
            var staged = Path.Combine(versions, $".next-{Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
            DeleteTree(staged);
            if (source.SingleFile is { } executable)
            {
                Directory.CreateDirectory(staged);
                File.Copy(executable, Path.Combine(staged, "slipway"));
                File.SetUnixFileMode(Path.Combine(staged, "slipway"), Public);
            }
            else
            {
                CopyTree(source.Directory, staged);
            }
            File.WriteAllText(Path.Combine(staged, ProgramMarker), $"Written by 'slipway install' from {source.SingleFile ?? source.Directory} at {DateTimeOffset.UtcNow:O}.\n");
            File.SetUnixFileMode(staged, Public);
            // Complete before it appears under its name: a version directory always holds a whole program.
            DeleteTree(target);
            Directory.Move(staged, target);
        }

        PointCurrentAt(id);

        WriteAtomically(OnDisk(LauncherPath), Launcher(spec.DataDir, dotnetRoot), Public);
        WriteAtomically(OnDisk(UnitPath), SystemdUnit.Render(spec), Readable);
        Prune(RunningExecutables());

        CreateDirectory(OnDisk(StateRoot), Public);
        CreateDirectory(OnDisk(spec.DataDir), Private);
        return id;
    }

    /// <summary>Points current at version <paramref name="id"/> (an installed one): a new link renamed over the old one, so
    /// current names the old version or the new one, never neither. Also how a failed upgrade goes back.</summary>
    public void PointCurrentAt(string id)
    {
        var next = Path.Combine(OnDisk(ProgramDir), NextLink);
        File.Delete(next);
        File.CreateSymbolicLink(next, "versions/" + id);
        Rename(next, OnDisk(CurrentLink));
    }

    /// <summary>The version current names, or null (nothing installed, or an install from before versions).</summary>
    public string? CurrentVersion() =>
        new FileInfo(OnDisk(CurrentLink)).LinkTarget is { } target && target.StartsWith("versions/", StringComparison.Ordinal) ? target["versions/".Length..] : null;

    /// <summary>The installed versions, newest first (by the time each was last installed).</summary>
    public IReadOnlyList<string> Versions() =>
        Directory.Exists(OnDisk(VersionsDir))
            ? new DirectoryInfo(OnDisk(VersionsDir)).EnumerateDirectories().Where(d => !d.Name.StartsWith('.'))
                .OrderByDescending(d => File.Exists(Path.Combine(d.FullName, ProgramMarker)) ? File.GetLastWriteTimeUtc(Path.Combine(d.FullName, ProgramMarker)) : DateTime.MinValue)
                .ThenByDescending(d => d.Name, StringComparer.Ordinal)
                .Select(d => d.Name).ToList()
            : [];

    /// <summary>Deletes what no longer needs keeping: versions beyond the newest <see cref="KeepVersions"/> (never the
    /// current one) that none of <paramref name="running"/> executes from, half-copied versions of an interrupted
    /// install, and the program files of an install from before versions (directly in the program directory) once
    /// nothing runs from them. Returns the versions deleted. <paramref name="running"/>: the real paths of the
    /// executables of the running processes (<see cref="RunningExecutables"/>).</summary>
    public IReadOnlyList<string> Prune(IReadOnlyCollection<string> running)
    {
        var program = OnDisk(ProgramDir);
        var versions = OnDisk(VersionsDir);
        var deleted = new List<string>();
        if (!Directory.Exists(program))
        {
            return deleted;
        }
        var realPrograms = RealPaths.Resolve(program) ?? program;
        if (Directory.Exists(versions))
        {
            foreach (var staged in Directory.EnumerateDirectories(versions, ".next-*"))
            {
                DeleteTree(staged);
            }
            var current = CurrentVersion();
            var realVersions = RealPaths.Resolve(versions) ?? versions;
            foreach (var version in Versions().Skip(KeepVersions))
            {
                var directory = Path.Combine(realVersions, version) + "/";
                if (version != current && !running.Any(exe => exe.StartsWith(directory, StringComparison.Ordinal)))
                {
                    DeleteTree(Path.Combine(versions, version));
                    deleted.Add(version);
                }
            }
        }
        if (!running.Any(exe => Path.GetDirectoryName(exe) == realPrograms))
        {
            foreach (var entry in new DirectoryInfo(program).EnumerateFileSystemInfos())
            {
                if (entry.Name is not ("versions" or "current" or ProgramMarker or NextLink))
                {
                    if (entry is DirectoryInfo { LinkTarget: null })
                    {
                        DeleteTree(entry.FullName);
                    }
                    else
                    {
                        entry.Delete();
                    }
                }
            }
        }
        return deleted;
    }

    /// <summary>The real paths of the executables of the running processes this one may inspect (others' are skipped).</summary>
    public static IReadOnlyCollection<string> RunningExecutables()
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var process in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(process), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
            {
                continue;
            }
            try
            {
                if (new FileInfo(Path.Combine(process, "exe")).LinkTarget is { } exe)
                {
                    // A file deleted while it runs is named "PATH (deleted)".
                    found.Add(exe.EndsWith(" (deleted)", StringComparison.Ordinal) ? exe[..^" (deleted)".Length] : exe);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read (a kernel thread has no exe).
            }
        }
        return found;
    }

    /// <summary>A version's directory name: the program's informational version (its build metadata, a commit, cut to
    /// 7 characters) and the first 8 hex digits of <paramref name="contentHash"/>. Characters a path should not hold
    /// become '_', and leading dots go.</summary>
    public static string VersionId(string informationalVersion, string contentHash)
    {
        var plus = informationalVersion.IndexOf('+', StringComparison.Ordinal);
        var version = plus < 0 ? informationalVersion : informationalVersion[..plus] + "+" + informationalVersion[(plus + 1)..][..Math.Min(7, informationalVersion.Length - plus - 1)];
        // No leading dot: hidden names are an install's own (half-copied versions, the next current link).
        var safe = new string(version.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '+' ? c : '_').ToArray()).TrimStart('.');
        return $"{(safe.Length == 0 ? "0" : safe)}-{contentHash[..8]}";
    }

    /// <summary>The informational version of this program (what `slipway --version` prints).</summary>
    public static string RunningVersion() =>
        typeof(ProductionInstall).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            is [System.Reflection.AssemblyInformationalVersionAttribute v, ..] ? v.InformationalVersion : "";

    /// <summary>SHA-256 (hex) of the program: the single file, or every file of the build directory (relative path and
    /// content, in ordinal order), so two builds that differ in any dependency get two versions.</summary>
    private static string ContentHash(ProgramSource source)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (source.SingleFile is { } executable)
        {
            using var file = File.OpenRead(executable);
            hash.AppendData(SHA256.HashData(file));
        }
        else
        {
            foreach (var path in Directory.EnumerateFiles(source.Directory, "*", SearchOption.AllDirectories)
                         .Select(p => Path.GetRelativePath(source.Directory, p)).Where(p => p != ProgramMarker).Order(StringComparer.Ordinal))
            {
                hash.AppendData(Encoding.UTF8.GetBytes(path + "\0"));
                using var file = File.OpenRead(Path.Combine(source.Directory, path));
                hash.AppendData(SHA256.HashData(file));
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Removes the unit, the launcher and the program (those this program wrote; a changed unit is still
    /// ours to remove), and with <paramref name="purge"/> the data directory and the state root. Returns what it
    /// left in place because it is not ours.</summary>
    public IReadOnlyList<string> Uninstall(string dataDir, bool purge)
    {
        var left = new List<string>();
        if (File.Exists(OnDisk(UnitPath)))
        {
            if (SystemdUnit.Owner(File.ReadAllText(OnDisk(UnitPath))) == UnitOwner.Foreign)
            {
                left.Add($"{UnitPath} (not written by slipway install)");
            }
            else
            {
                File.Delete(OnDisk(UnitPath));
            }
        }
        if (LauncherExists)
        {
            if (IsOurLauncher)
            {
                File.Delete(OnDisk(LauncherPath));
            }
            else
            {
                left.Add($"{LauncherPath} (not written by slipway install)");
            }
        }
        if (Directory.Exists(OnDisk(ProgramDir)))
        {
            if (File.Exists(Path.Combine(OnDisk(ProgramDir), ProgramMarker)))
            {
                DeleteTree(OnDisk(ProgramDir));
            }
            else
            {
                left.Add($"{ProgramDir} (not written by slipway install)");
            }
        }
        if (purge)
        {
            var data = OnDisk(dataDir);
            if (Directory.Exists(data) && Directory.EnumerateFileSystemEntries(data).Any() &&
                !File.Exists(Path.Combine(data, "slipway.db")) && !File.Exists(Path.Combine(data, "slipway.lock")))
            {
                throw new UserException($"{dataDir} does not look like a Slipway data directory (no slipway.db): it was not deleted. " +
                    "Check the path, and delete it yourself if it is what you meant.");
            }
            DeleteTree(data);
            DeleteTree(OnDisk(StateRoot));
        }
        return left;
    }

    /// <summary>The launcher at /usr/local/bin/slipway. It finds the current program relative to itself (so a tree staged with
    /// --root runs where it is), and as root it defaults the data directory to the installed platform's, so `sudo
    /// slipway domains ls` talks to it. A framework-dependent program is told where its .NET runtime is.</summary>
    public static string Launcher(string dataDir, string? dotnetRoot)
    {
        var runtime = dotnetRoot is null ? "" : $"""
            DOTNET_ROOT={ShellQuote(dotnetRoot)}
            export DOTNET_ROOT

            """;
        return $$"""
            #!/bin/sh
            {{SystemdUnit.Marker}}: runs the installed Slipway. 'slipway install' replaces it, 'slipway uninstall' removes it.
            # As root, commands talk to the installed platform unless --data or SLIPWAY_DATA names another one.
            if [ -z "${SLIPWAY_DATA:-}" ] && [ "$(id -u)" -eq 0 ]; then
              SLIPWAY_DATA={{ShellQuote(dataDir)}}
              export SLIPWAY_DATA
            fi
            {{runtime}}here=$(dirname "$(readlink -f "$0")")
            # current resolved once, here: the process runs from (and /proc/PID/exe names) its version's directory, so a
            # later install that moves current neither changes nor deletes the files it runs from.
            exec "$(readlink -f "$here/../lib/slipway/current")/slipway" "$@"

            """;
    }

    private static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static void CopyTree(string source, string target)
    {
        Directory.CreateDirectory(target);
        File.SetUnixFileMode(target, File.GetUnixFileMode(source));
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            var destination = Path.Combine(target, entry.Name);
            if (entry.LinkTarget is { } link)
            {
                File.CreateSymbolicLink(destination, link);
            }
            else if (entry is DirectoryInfo)
            {
                CopyTree(entry.FullName, destination);
            }
            else if (entry.Name != ProgramMarker)
            {
                // File.Copy keeps the mode: the executables stay executable.
                File.Copy(entry.FullName, destination);
            }
        }
    }

    /// <summary>Writes a file beside its path and renames it over: readers see the old file or the new one.</summary>
    private static void WriteAtomically(string path, string text, UnixFileMode mode)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".slipway-new";
        File.WriteAllText(temporary, text);
        File.SetUnixFileMode(temporary, mode);
        File.Move(temporary, path, overwrite: true);
    }

    private static void CreateDirectory(string path, UnixFileMode mode)
    {
        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path);
            File.SetUnixFileMode(path, mode);
        }
    }

    private static void DeleteTree(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    [DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static extern int RenameFile([MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);

    /// <summary>rename(2): replaces <paramref name="target"/> in one step, a symlink as such (never what it points to).</summary>
    private static void Rename(string source, string target)
    {
        if (RenameFile(source, target) != 0)
        {
            throw new IOException($"Could not rename {source} to {target} (errno {Marshal.GetLastPInvokeError()}).");
        }
    }
}
