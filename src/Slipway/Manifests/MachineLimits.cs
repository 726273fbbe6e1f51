using System.Globalization;

namespace Slipway.Manifests;

/// <summary>This machine's memory and cores, so a manifest asking for more than exists is an error with its key path
/// rather than a limit the kernel can never enforce.</summary>
internal static class MachineLimits
{
    private static readonly Lazy<long> Memory = new(ReadMemory);

    /// <summary>Total memory in bytes (MemTotal of /proc/meminfo, or what .NET sees elsewhere).</summary>
    public static long MemoryBytes => Memory.Value;

    public static int Cores => Environment.ProcessorCount;

    private static long ReadMemory()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            var kb = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            if (long.TryParse(kb, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return value * 1024;
            }
        }
        catch (IOException)
        {
        }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }
}
