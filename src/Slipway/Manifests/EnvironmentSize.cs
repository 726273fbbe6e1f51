using System.Globalization;
using System.Text;

namespace Slipway.Manifests;

/// <summary>How large one environment variable can be: Linux copies each "NAME=value" string of a new process's
/// environment at execve, at most MAX_ARG_STRLEN (32 pages: 128 KiB with its terminating NUL) each, and refuses a
/// larger one with E2BIG. Declared defaults and a service's env reach processes as they are, so the manifest is
/// checked against this too; the limits on a whole config are Config.ConfigLimits'.</summary>
internal static class EnvironmentSize
{
    /// <summary>MAX_ARG_STRLEN without the NUL: the longest "NAME=value" in UTF-8 bytes.</summary>
    public const int MaxVariableBytes = 128 * 1024 - 1;

    public static int EntryBytes(string name, string value) => Encoding.UTF8.GetByteCount(name) + 1 + Encoding.UTF8.GetByteCount(value);

    /// <summary>Why a variable of <paramref name="bytes"/> bytes as NAME=value cannot reach a process, or null.</summary>
    public static string? Problem(string name, long bytes) => bytes > MaxVariableBytes
        ? $"{name} is {Format(bytes)} as NAME=value; a process can be started with at most {Format(MaxVariableBytes)} per variable " +
          "(Linux MAX_ARG_STRLEN, 128 KiB). Keep large data in a file the app reads and put its path in the variable"
        : null;

    public static string Format(long bytes) => bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0
        ? $"{bytes / (1024 * 1024)} MiB"
        : string.Create(CultureInfo.InvariantCulture, $"{bytes:N0} bytes");
}
