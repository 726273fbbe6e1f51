using System.Text.Json;
using Slipway.Runtime;

namespace Slipway.Databases;

/// <summary>What the next platform process needs to adopt a database server this one launched: its pid, its start time
/// (field 22 of /proc/PID/stat, as an instance's row records it) and its launch key (its output FIFOs and cgroup). One
/// small JSON file per server in DATA/run/databases (0700, never the cluster user's directories): written, flushed and
/// renamed into place right after the launch, before the server is waited for; removed when the server is stopped for
/// good.</summary>
internal sealed record ServerRecord(int Pid, string? PidStart, string LaunchKey)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public Adoption Adoption => new(Pid, PidStart, LaunchKey);

    public static string DirectoryIn(string dataDir) => Path.Combine(dataDir, "run", "databases");

    /// <summary>The record of <paramref name="process"/>; null when it is not adoptable (no launch key).</summary>
    public static ServerRecord? Of(ILaunchedProcess process) =>
        process.LaunchKey is { } key ? new ServerRecord(process.Pid, process.StartIdentity, key) : null;

    /// <summary>The record at <paramref name="path"/>; null when there is none or it cannot be read (a torn write cannot
    /// happen, but a hand-edited file can): the server is then replaced, never adopted on a guess.</summary>
    public static ServerRecord? Read(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<ServerRecord>(File.ReadAllText(path)) : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Write(string path)
    {
        var dir = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(file, this);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    public static void Delete(string path) => File.Delete(path);
}
