namespace Slipway.Sandbox;

/// <summary>Whether the filesystem holding a directory could cap it (project quotas: ext4 or xfs mounted with
/// prjquota). Slipway does not set quotas itself yet; this says plainly where a volume or build can grow until the
/// disk is full, so `volumes ls` and `doctor` never imply a cap that is not there.</summary>
internal static class DiskQuotas
{
    /// <summary>One sentence about quotas for <paramref name="path"/>, from the text of /proc/mounts.</summary>
    public static string Describe(string path, string procMounts)
    {
        var mount = procMounts.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .Where(f => f.Length >= 4 && IsUnder(path, f[1]))
            .OrderByDescending(f => f[1].Length)
            .FirstOrDefault();
        if (mount is null)
        {
            return "not enforced: the filesystem could not be found in /proc/mounts";
        }
        var (dir, type, options) = (mount[1], mount[2], mount[3].Split(','));
        var projectQuotas = options.Any(o => o is "prjquota" or "pquota" or "prjjquota");
        return projectQuotas
            ? $"not enforced by Slipway: {dir} ({type}) offers project quotas (prjquota), which Slipway does not set yet; the disk's free space is the limit"
            : $"not enforced: {dir} ({type}) is not mounted with project quotas (ext4 or xfs with prjquota), so the disk's free space is the limit";
    }

    public static string Describe(string path)
    {
        try
        {
            return Describe(Path.GetFullPath(path), File.ReadAllText("/proc/mounts"));
        }
        catch (IOException)
        {
            return "not enforced: /proc/mounts could not be read";
        }
    }

    private static bool IsUnder(string path, string dir) =>
        dir == "/" || path == dir || path.StartsWith(dir.TrimEnd('/') + "/", StringComparison.Ordinal);
}
