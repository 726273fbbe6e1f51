namespace Slipway;

/// <summary>Whether a failed file operation failed because its filesystem has no space left: ENOSPC on Linux (an
/// IOException whose HResult is the errno), ERROR_DISK_FULL or ERROR_HANDLE_DISK_FULL on Windows, or .NET's own
/// preallocation failure (File.WriteAllText and friends reserve the size first; that IOException carries no errno, only
/// its message). Looks through inner exceptions. SQLite's own answer (SQLITE_FULL) is checked where SQLite's exception is known (Api/ApiErrors).</summary>
internal static class DiskFull
{
    private const int Enospc = 28;
    private const int WindowsDiskFull = unchecked((int)0x80070070);
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);

    public static bool Is(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is IOException { HResult: Enospc or WindowsDiskFull or WindowsHandleDiskFull })
            {
                return true;
            }
            // "Failed to create 'PATH' with allocation size 'N' because the disk was full." (SafeFileHandle.Unix).
            if (e is IOException && e.Message.Contains("because the disk was full", StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }
}
