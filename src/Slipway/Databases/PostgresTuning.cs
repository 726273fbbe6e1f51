using System.Globalization;

namespace Slipway.Databases;

/// <summary>Memory settings for the managed cluster from the machine's memory (the usual rules of thumb:
/// shared_buffers a quarter of RAM, the planner told the OS cache holds about half). Pure, so tests check it.</summary>
internal static class PostgresTuning
{
    private const long Mb = 1024 * 1024;

    public static IReadOnlyList<(string Name, string Value)> For(long memoryBytes, int maxConnections = 100)
    {
        var memoryMb = Math.Max(256, memoryBytes / Mb);
        var shared = Math.Clamp(memoryMb / 4, 32, 8 * 1024);
        var work = Math.Clamp(memoryMb / 4 / maxConnections, 4, 64);
        return
        [
            ("max_connections", maxConnections.ToString(CultureInfo.InvariantCulture)),
            ("shared_buffers", $"{shared}MB"),
            ("effective_cache_size", $"{Math.Max(128, memoryMb / 2)}MB"),
            ("maintenance_work_mem", $"{Math.Clamp(memoryMb / 16, 16, 1024)}MB"),
            ("work_mem", $"{work}MB"),
            ("max_wal_size", memoryMb >= 4096 ? "4GB" : "1GB"),
        ];
    }
}
