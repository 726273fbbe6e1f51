using System.Runtime.InteropServices;

namespace Slipway.Databases;

/// <summary>Who the managed PostgreSQL runs as. PostgreSQL refuses to run as root, so a root Slipway runs it
/// as the unprivileged `postgres` user (created by the distribution's package), or as a `slipway` system user
/// it creates; a non-root Slipway runs it as itself. Programs are started through setpriv, which execs them,
/// so the pid Slipway holds is the server's own.</summary>
internal sealed partial record ClusterUser(string Name, int Uid, int Gid)
{
    [DllImport("libc", SetLastError = true, EntryPoint = "chown")]
    private static extern int Chown(string path, int uid, int gid);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    public static bool IsRoot => GetEuid() == 0;

    /// <summary>Null when Slipway is not root: programs run as the current user.</summary>
    public static ClusterUser? Resolve()
    {
        if (!IsRoot)
        {
            return null;
        }
        if (Lookup("postgres") is { } postgres)
        {
            return postgres;
        }
        if (Lookup("slipway") is null)
        {
            using var useradd = System.Diagnostics.Process.Start("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "slipway"]);
            useradd.WaitForExit();
        }
        return Lookup("slipway") ?? throw new UserException(
            "Slipway runs as root and PostgreSQL refuses to: create an unprivileged user for it ('useradd --system slipway'), or install the postgresql package, which creates 'postgres'.");
    }

    private static ClusterUser? Lookup(string name)
    {
        foreach (var line in File.ReadLines("/etc/passwd"))
        {
            var f = line.Split(':');
            if (f.Length > 3 && f[0] == name)
            {
                return new ClusterUser(name, int.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture), int.Parse(f[3], System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return null;
    }

    /// <summary>This user as the process launcher takes it.</summary>
    public Sandbox.ProcessUser ProcessUser => new(Name, Uid, Gid);

    /// <summary>The command line that runs <paramref name="program"/> as this user.</summary>
    public (string File, IReadOnlyList<string> Args) Wrap(string program, IEnumerable<string> args) => ProcessUser.Wrap(program, args);

    /// <summary>Gives a file or directory (recursively) to this user.</summary>
    public void Own(string path)
    {
        if (Chown(path, Uid, Gid) != 0)
        {
            throw new IOException($"chown {path} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        if (Directory.Exists(path))
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(path, "*", SearchOption.AllDirectories))
            {
                _ = Chown(entry, Uid, Gid);
            }
        }
    }
}
