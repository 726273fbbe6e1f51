using System.Runtime.InteropServices;

namespace Slipway;

/// <summary>realpath(3): the kernel's own resolution of a path, every symbolic link and ".." followed in
/// order, link loops refused. What is served or copied is checked against this, never against a textual
/// resolution that could disagree with what open() would reach.</summary>
internal static class RealPaths
{
    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern IntPtr RealPath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void Free(IntPtr pointer);

    /// <summary>The resolved absolute path, or null when it does not exist or loops.</summary>
    public static string? Resolve(string path)
    {
        var result = RealPath(path, IntPtr.Zero);
        if (result == IntPtr.Zero)
        {
            return null;
        }
        try
        {
            return Marshal.PtrToStringUTF8(result);
        }
        finally
        {
            Free(result);
        }
    }

    /// <summary>Whether <paramref name="path"/> really is <paramref name="root"/> or lies under it (both resolved).</summary>
    public static bool IsUnder(string path, string root) =>
        Resolve(path) is { } real && Resolve(root) is { } realRoot && IsUnderResolved(real, realRoot);

    public static bool IsUnderResolved(string real, string realRoot) =>
        real == realRoot || real.StartsWith(realRoot.TrimEnd('/') + "/", StringComparison.Ordinal);
}
