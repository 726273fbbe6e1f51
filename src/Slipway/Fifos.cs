using System.Runtime.InteropServices;

namespace Slipway;

/// <summary>Named pipes (FIFOs), which .NET has no API for, and the raw open(2) and close(2) they need: opening one
/// without O_NONBLOCK blocks until the other side opens it, which a FileStream cannot be told about. Used for instances'
/// output (Runtime.OutputFifo), pg_dump piped into pg_restore (Databases.PgTool) and a push's hook (Git.HookPipe).</summary>
internal static class Fifos
{
    public const int ReadOnly = 0, WriteOnly = 1, NonBlocking = 0x800, CloseOnExec = 0x80000;

    /// <summary>Makes a FIFO readable and writable by this user only; the error names the path and the reason.</summary>
    public static void Make(string path, string what)
    {
        if (MkFifo(path, 0b110_000_000) != 0)
        {
            throw new IOException($"cannot make {what} {path}: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }

    /// <summary>open(2): a file descriptor, or -1 (errno in Marshal.GetLastPInvokeError).</summary>
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    public static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    public static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkFifo(string path, int mode);
}
