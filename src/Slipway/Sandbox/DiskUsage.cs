using System.Collections.Concurrent;

namespace Slipway.Sandbox;

/// <summary>How much a directory holds on disk (files' sizes, links not followed), remembered for a short while so
/// `status` on a large build (node_modules) does not walk it on every look.</summary>
internal sealed class DiskUsage(TimeProvider clock)
{
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, long Bytes)> _measured = new(StringComparer.Ordinal);

    /// <summary>Bytes under <paramref name="path"/>; 0 when it does not exist.</summary>
    public long Of(string path)
    {
        var now = clock.GetUtcNow();
        if (_measured.TryGetValue(path, out var known) && now - known.At < Fresh)
        {
            return known.Bytes;
        }
        var bytes = Measure(path);
        _measured[path] = (now, bytes);
        return bytes;
    }

    public static long Measure(string path)
    {
        if (!Directory.Exists(path))
        {
            return File.Exists(path) ? new FileInfo(path).Length : 0;
        }
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            // Symbolic links are counted as themselves, never followed (a link to / must not be walked).
            AttributesToSkip = FileAttributes.ReparsePoint,
        };
        long total = 0;
        foreach (var file in new DirectoryInfo(path).EnumerateFiles("*", options))
        {
            try
            {
                total += file.Length;
            }
            catch (IOException)
            {
                // Deleted while walking.
            }
        }
        return total;
    }
}
