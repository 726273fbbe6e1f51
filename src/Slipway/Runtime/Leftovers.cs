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

    /// <summary>The data directory's owner id, created on first use.</summary>
    public static string OwnerId(string dataDir)
    {
        var path = Path.Combine(dataDir, "owner-id");
        if (!File.Exists(path))
        {
            File.WriteAllText(path, Guid.NewGuid().ToString("N"));
        }
        return File.ReadAllText(path).Trim();
    }

    /// <summary>Process groups whose members carry this owner's mark: SIGTERM, then SIGKILL after the grace.</summary>
    public static async Task<int> KillAsync(string ownerId, TimeSpan grace)
    {
        var mark = Encoding.UTF8.GetBytes($"{OwnerVariable}={ownerId}\0");
        var groups = new HashSet<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                var environ = await File.ReadAllBytesAsync(Path.Combine(dir, "environ"));
                if (environ.AsSpan().IndexOf(mark) >= 0 || environ.AsSpan().EndsWith(mark.AsSpan(0, mark.Length - 1)))
                {
                    groups.Add(ProcessGroupOf(pid) ?? pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
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
