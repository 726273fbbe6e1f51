using System.Globalization;
using System.Text;

namespace Slipway.Runtime;

/// <summary>Finds and kills what an earlier run of the platform on the same data directory left behind.
/// Every process Slipway launches carries <see cref="OwnerVariable"/> with the data directory's owner id in
/// its environment, inherited by everything it starts; after a SIGKILL of the platform, the next start
/// sweeps /proc for that mark. Unlike a pid file written after launch, there is no window in which a
/// just-started build step or instance could escape.</summary>
internal static class Leftovers
{
    public const string OwnerVariable = "SLIPWAY_OWNER";

    /// <summary>The data directory's owner id: a hash of its real path. Reaching it by another spelling gives
    /// the same id; a copy of it elsewhere (a restored backup) gets its own, so starting the copy never kills
    /// the original's apps.</summary>
    public static string OwnerId(string dataDir)
    {
        var real = RealPaths.Resolve(dataDir) ?? Path.GetFullPath(dataDir);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(real)))[..32];
    }

    /// <summary>Process groups whose members carry this owner's mark: SIGTERM, then SIGKILL after the grace. A process
    /// <paramref name="spare"/> names (by pid and process group: an instance a restarted platform adopts, and what
    /// it started) is left alone.</summary>
    public static Task<int> KillAsync(string ownerId, TimeSpan grace, Func<int, int, bool>? spare = null) =>
        KillGroupsAsync(Find(ownerId, spare), grace);

    /// <summary>The process groups <see cref="KillAsync"/> would kill, found now (a group with one spared member is spared
    /// whole: signalling it would reach that member). Deciding first and killing later leaves alone whatever starts after.</summary>
    public static IReadOnlySet<int> Find(string ownerId, Func<int, int, bool>? spare = null)
    {
        var mark = Encoding.UTF8.GetBytes($"{OwnerVariable}={ownerId}\0");
        var ownGroup = ProcessGroupOf(Environment.ProcessId);
        var groups = new HashSet<int>();
        var spared = new HashSet<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                var environ = File.ReadAllBytes(Path.Combine(dir, "environ"));
                if (HasVariable(environ, mark) && (ProcessGroupOf(pid) ?? pid) is var group && group != ownGroup)
                {
                    (spare?.Invoke(pid, group) == true ? spared : groups).Add(group);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        groups.ExceptWith(spared);
        return groups;
    }

    /// <summary>SIGTERM to each group, the grace, then SIGKILL.</summary>
    public static async Task<int> KillGroupsAsync(IReadOnlySet<int> groups, TimeSpan grace)
    {
        foreach (var group in groups)
        {
            ProcessGroups.Signal(group, ProcessGroups.SigTerm);
        }
        await Task.WhenAll(groups.Select(g => ProcessGroups.WaitGoneAsync(g, grace)));
        foreach (var group in groups)
        {
            ProcessGroups.Signal(group, ProcessGroups.SigKill);
        }
        return groups.Count;
    }

    /// <summary>True when <paramref name="pid"/>'s environment carries this owner's mark: a process this data directory's
    /// platform launched (or one of its descendants).</summary>
    public static bool Carries(int pid, string ownerId)
    {
        try
        {
            return HasVariable(File.ReadAllBytes($"/proc/{pid}/environ"), Encoding.UTF8.GetBytes($"{OwnerVariable}={ownerId}\0"));
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The exact variable "NAME=value", as a whole entry of the NUL-separated environment block.</summary>
    private static bool HasVariable(byte[] environ, byte[] entryWithNul)
    {
        var block = environ.AsSpan();
        var entry = entryWithNul.AsSpan(0, entryWithNul.Length - 1);
        for (var start = 0; start < block.Length;)
        {
            var end = block[start..].IndexOf((byte)0);
            var item = end < 0 ? block[start..] : block.Slice(start, end);
            if (item.SequenceEqual(entry))
            {
                return true;
            }
            if (end < 0)
            {
                break;
            }
            start += end + 1;
        }
        return false;
    }

    private static int? ProcessGroupOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[2], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
