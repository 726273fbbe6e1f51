using System.Globalization;

namespace Slipway.Runtime;

/// <summary>Which TCP ports a process group listens on, read from /proc (no tools, no privileges beyond seeing
/// the group's own /proc entries). Used to say why a health check cannot connect: "nothing listens on $PORT
/// (41234); the app listens on 3000".</summary>
internal static class ListeningPorts
{
    private const string ListenState = "0A";

    /// <summary>The ports the processes of group <paramref name="processGroup"/> listen on, sorted; empty when
    /// none (or /proc cannot tell).</summary>
    public static IReadOnlyList<int> Of(int processGroup)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pid in Members(processGroup))
        {
            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
                {
                    if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                    {
                        inodes.Add(target[8..^1]);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }
        if (inodes.Count == 0)
        {
            return [];
        }
        var ports = new SortedSet<int>();
        foreach (var table in (string[])["/proc/net/tcp", "/proc/net/tcp6"])
        {
            foreach (var (port, inode) in Listening(table))
            {
                if (inodes.Contains(inode))
                {
                    ports.Add(port);
                }
            }
        }
        return [.. ports];
    }

    /// <summary>"nothing listens on port 41234 ($PORT) yet; the app listens on 3000 instead: have it listen on
    /// process.env.PORT", or null when the group does listen on <paramref name="expected"/>.</summary>
    public static string? Explain(int processGroup, int expected)
    {
        var ports = Of(processGroup);
        if (ports.Contains(expected))
        {
            return null;
        }
        return ports.Count == 0
            ? $"nothing listens on port {expected} ($PORT) yet, nor on any other port"
            : $"nothing listens on port {expected} ($PORT); the app listens on {string.Join(", ", ports)} instead: have it listen on the PORT environment variable";
    }

    private static IEnumerable<int> Members(int processGroup)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue;
            }
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 2 && int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var group) && group == processGroup)
            {
                yield return pid;
            }
        }
    }

    /// <summary>(port, socket inode) of each listening socket in a /proc/net/tcp table.</summary>
    private static IEnumerable<(int Port, string Inode)> Listening(string table)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(table);
        }
        catch (IOException)
        {
            yield break;
        }
        foreach (var line in lines.Skip(1))
        {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 10 || fields[3] != ListenState)
            {
                continue;
            }
            var colon = fields[1].LastIndexOf(':');
            if (colon > 0 && int.TryParse(fields[1][(colon + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port))
            {
                yield return (port, fields[9]);
            }
        }
    }
}
