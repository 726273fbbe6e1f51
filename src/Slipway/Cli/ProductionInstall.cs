using System.Runtime.InteropServices;

namespace Slipway.Cli;

/// <summary>The files of a production install under a root ("" for the machine itself, a directory for tests and
/// packaging), and the steps that write and remove them. Nothing here starts or stops a service
/// (<see cref="InstallCommands"/> does):
///
///   /usr/local/lib/slipway/          the program: the running slipway's build directory, or its single-file executable
///   /usr/local/bin/slipway           a launcher script (as root, commands talk to the installed platform)
///   /etc/systemd/system/slipway.service
///   /var/lib/slipway/data/           the platform's data directory, or --data (kept by an uninstall without --purge)
///   /var/lib/slipway/databases/      the managed PostgreSQL and redis (reachable by their unprivileged user)
///
/// The program directory is replaced whole: the new copy is written beside it, then the two are swapped in one
/// rename (renameat2 RENAME_EXCHANGE), so the path always holds a complete program, old or new.</summary>
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
    public const string LauncherPath = "/usr/local/bin/slipway";
    public const string StateRoot = "/var/lib/slipway";
    public const string DatabasesDir = StateRoot + "/databases";

    /// <summary>In the program directory: says this program put it there.</summary>
    private const string ProgramMarker = ".slipway-install";

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

    /// <summary>Copies the program into place (replacing an installed one whole), writes the launcher and the unit, and
    /// creates the data directories. Idempotent: run again, it upgrades. The program is <paramref name="source"/>: a
    /// build's directory (slipway.dll, its dependencies, the slipway apphost) copied whole, or a self-contained
    /// single-file executable copied alone as "slipway" (never the directory it was downloaded to).</summary>
    public void Install(InstallSpec spec, ProgramSource source, string? dotnetRoot)
    {
        var program = OnDisk(ProgramDir);
        Directory.CreateDirectory(Path.GetDirectoryName(program)!);
        var staged = program + ".new";
        var old = program + ".old";
        // Leftovers of an install that was interrupted.
        DeleteTree(staged);
        DeleteTree(old);
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
        if (!Directory.Exists(program))
        {
            Directory.Move(staged, program);
        }
        else if (Exchange(staged, program))
        {
            // staged now holds the program that was installed.
            DeleteTree(staged);
        }
        else
        {
            // A filesystem without RENAME_EXCHANGE: two renames, the path empty for the moment between them.
            Directory.Move(program, old);
            Directory.Move(staged, program);
            DeleteTree(old);
        }

        WriteAtomically(OnDisk(LauncherPath), Launcher(spec.DataDir, dotnetRoot), Public);
        WriteAtomically(OnDisk(UnitPath), SystemdUnit.Render(spec), Readable);

        CreateDirectory(OnDisk(StateRoot), Public);
        CreateDirectory(OnDisk(spec.DataDir), Private);
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

    /// <summary>The launcher at /usr/local/bin/slipway. It finds the program beside itself (so a tree staged with
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
            exec "$here/../lib/slipway/slipway" "$@"

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

    [DllImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    private static extern int RenameAt2(int oldDirectory, [MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath, int newDirectory,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath, uint flags);

    private const int CurrentDirectory = -100; // AT_FDCWD
    private const uint RenameExchange = 2; // RENAME_EXCHANGE

    /// <summary>Swaps two paths in one step; false when the filesystem (or the C library) cannot.</summary>
    private static bool Exchange(string a, string b)
    {
        try
        {
            if (RenameAt2(CurrentDirectory, a, CurrentDirectory, b, RenameExchange) == 0)
            {
                return true;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
        var errno = Marshal.GetLastPInvokeError();
        // EINVAL: the filesystem has no exchange; ENOSYS: the kernel has no renameat2.
        return errno is 22 or 38 ? false : throw new IOException($"Could not swap {a} and {b} (errno {errno}).");
    }
}
