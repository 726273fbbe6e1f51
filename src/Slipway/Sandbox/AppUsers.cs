using Dapper;
using Slipway.State;

namespace Slipway.Sandbox;

/// <summary>The unprivileged user each app environment's processes run as: a uid (and a group of the same number)
/// from a reserved range, allocated at its first use and recorded, so it is stable across restarts and never
/// reused. The uids have no entry in the host's user database; a sandbox sees one that names its own user
/// (<see cref="PasswdFiles"/>), since programs such as Node's os.userInfo() fail for a user without one.</summary>
internal sealed class AppUsers(Store store, string dataDir, int firstUid = AppUsers.DefaultFirstUid)
{
    /// <summary>Far above the ranges distributions give people (1000+), system users (below 1000) and container
    /// subordinate ids (100000 + 65536 per user).</summary>
    public const int DefaultFirstUid = 700_000_000;

    public ProcessUser For(string appRow)
    {
        using var c = store.Connections.Open();
        using var tx = c.BeginTransaction();
        var uid = c.ExecuteScalar<long?>("select uid from app_users where app = @appRow", new { appRow }, tx);
        if (uid is null)
        {
            uid = c.ExecuteScalar<long>("select coalesce(max(uid) + 1, @firstUid) from app_users", new { firstUid }, tx);
            c.Execute("insert into app_users(app, uid) values (@appRow, @uid)", new { appRow, uid }, tx);
            tx.Commit();
        }
        return new ProcessUser(NameOf(appRow), (int)uid.Value, (int)uid.Value, InPasswd: false);
    }

    /// <summary>What `ps` and error messages call it ("slipway-shop-staging").</summary>
    public static string NameOf(string appRow) => "slipway-" + appRow;

    /// <summary>/etc/passwd and /etc/group as the sandbox of <paramref name="user"/> sees them: the host's, plus its own
    /// user and group (home /tmp). Written once per user under DATA/sandbox, readable by all (they hold no secret).</summary>
    public (string Passwd, string Group) PasswdFiles(ProcessUser user)
    {
        var dir = Path.Combine(dataDir, "sandbox", user.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var passwd = Path.Combine(dir, "passwd");
        var group = Path.Combine(dir, "group");
        WriteIfChanged(passwd, Host("/etc/passwd") + $"{user.Name}:x:{user.Uid}:{user.Gid}:{user.Name}:/tmp:/usr/sbin/nologin\n");
        WriteIfChanged(group, Host("/etc/group") + $"{user.Name}:x:{user.Gid}:\n");
        return (passwd, group);
    }

    private static string Host(string file)
    {
        var text = File.Exists(file) ? File.ReadAllText(file) : "root:x:0:0:root:/root:/bin/sh\n";
        return text.Length == 0 || text.EndsWith('\n') ? text : text + "\n";
    }

    private static void WriteIfChanged(string path, string text)
    {
        if (File.Exists(path) && File.ReadAllText(path) == text)
        {
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var staging = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(staging, text);
        File.SetUnixFileMode(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.Move(staging, path, overwrite: true);
    }
}
