namespace Slipway.Monitoring;

/// <summary>Space on the filesystem that holds a directory: what is free for Slipway (not the blocks reserved for
/// root) and its size. Read by the disk gauges and the "disk" alert.</summary>
internal readonly record struct DiskSpace(long FreeBytes, long SizeBytes)
{
    /// <summary>The free share in percent (0-100).</summary>
    public double FreePercent => SizeBytes <= 0 ? 100 : FreeBytes * 100.0 / SizeBytes;

    /// <summary>The filesystem's space, or null when it cannot be read (the directory is gone, no permission).</summary>
    public static DiskSpace? Of(string path)
    {
        try
        {
            // On Linux DriveInfo takes any path and asks statvfs about it: the filesystem that holds it.
            var drive = new DriveInfo(path);
            return new DiskSpace(drive.AvailableFreeSpace, drive.TotalSize);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
