namespace Slipway.Runtime;

/// <summary>The kernel refused to start a process (execve: E2BIG, "Argument list too long"): a variable of its
/// environment is over 128 KiB, or arguments and environment together over about 2 MiB. Config is checked
/// against these limits before it gets here; this is the safety net for whatever else grows an environment.</summary>
internal sealed class EnvironmentTooLargeException(Exception inner) : IOException(
    "its environment and arguments are larger than Linux starts a process with (E2BIG: at most 128 KiB per variable, " +
    "about 2 MiB for arguments and environment together)", inner)
{
    /// <summary>errno E2BIG on Linux.</summary>
    private const int E2BIG = 7;

    public static bool Is(Exception e) => e is System.ComponentModel.Win32Exception { NativeErrorCode: E2BIG };
}
