using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Slipway.Hosting;

/// <summary>Keeps the platform's file-backed memory near the code it runs. The executable is one ~150 MB bundle
/// (runtime, framework, Slipway) mapped from disk, and Linux maps 64 KB around every page touched ("fault-around"):
/// start-up alone left ~70 MB of it resident, most of it never used again. So every read-only file mapping is marked
/// random-access (a later touch maps one page, not sixteen; assemblies load lazily, so new mappings are marked every
/// 30 s), and the pages start-up and the first minute touched are handed back (MADV_PAGEOUT) twice, 5 s and 65 s
/// after start: what is still used faults back in at once from the page cache or the disk. Never again after that,
/// so the edge's hot code is not evicted under traffic. Only private read-only mappings of files are advised: their
/// pages are the file's, clean (nothing is lost, the kernel may reclaim them anyway), except the few a loader
/// relocated (copy-on-write, e.g. 16 KB of libc's), which go to swap where there is one. A failure here is logged,
/// never fatal: this is an economy, not a duty.</summary>
internal sealed partial class ResidentCode(ILogger<ResidentCode> logger, TimeProvider clock) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan[] HandBackAt = [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(65)];

    private const int MadvRandom = 1;
    private const int MadvPageout = 21;

    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(nint address, nuint length, int advice);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        try
        {
            var started = clock.GetTimestamp();
            var handedBack = 0;
            await Task.Delay(HandBackAt[0], clock, stoppingToken);
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5), clock);
            var lastMarked = TimeSpan.Zero;
            do
            {
                var elapsed = clock.GetElapsedTime(started);
                if (handedBack < HandBackAt.Length && elapsed >= HandBackAt[handedBack])
                {
                    handedBack++;
                    var (mappings, bytes) = Advise(pageOut: true);
                    LogHandedBack(logger, mappings, bytes / (1024 * 1024));
                    lastMarked = elapsed;
                }
                else if (elapsed - lastMarked >= Every)
                {
                    _ = Advise(pageOut: false);
                    lastMarked = elapsed;
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // a background service's exception stops the host: the platform runs on without this
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogFailed(logger, e);
        }
    }

    /// <summary>Marks every read-only, file-backed mapping of this process random-access and, when asked, hands its
    /// pages back; returns how many mappings and their size.</summary>
    public static (int Mappings, long Bytes) Advise(bool pageOut)
    {
        var count = 0;
        long bytes = 0;
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            if (Parse(line) is not { } mapping)
            {
                continue;
            }
            var length = (nuint)(mapping.End - mapping.Start);
            // Random access first, so what faults back in comes one page at a time; a kernel without MADV_PAGEOUT
            // (before 5.4) refuses it harmlessly (and the mapping is not counted).
            if (Madvise((nint)mapping.Start, length, MadvRandom) == 0 && (!pageOut || Madvise((nint)mapping.Start, length, MadvPageout) == 0))
            {
                count++;
                bytes += (long)length;
            }
        }
        return (count, bytes);
    }

    /// <summary>A line of /proc/self/maps that is a private, read-only (possibly executable) mapping of a file.</summary>
    internal static (ulong Start, ulong End)? Parse(string line)
    {
        // 7f12a4c00000-7f12a4e00000 r-xp 00010000 fd:01 1234567   /path/to/file
        var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 6 || parts[1].Length != 4 || parts[1][1] != '-' || parts[1][0] != 'r' || parts[1][3] != 'p' ||
            parts[4] == "0" || !parts[5].StartsWith('/') || parts[5].EndsWith(" (deleted)", StringComparison.Ordinal))
        {
            return null;
        }
        var dash = parts[0].IndexOf('-', StringComparison.Ordinal);
        return dash > 0 &&
            ulong.TryParse(parts[0].AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var start) &&
            ulong.TryParse(parts[0].AsSpan(dash + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var end) && end > start
            ? (start, end)
            : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handing back the executable's start-up pages failed; the platform runs on with them")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Handed back the pages of {Mappings} read-only file mappings ({Megabytes} MB mapped)")]
    private static partial void LogHandedBack(ILogger logger, int mappings, long megabytes);
}
