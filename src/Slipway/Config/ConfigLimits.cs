using Slipway.Manifests;

namespace Slipway.Config;

/// <summary>How large config may be: what a process can be started with. Linux copies each "NAME=value" string
/// of the environment onto the new process's stack at execve, at most MAX_ARG_STRLEN (32 pages: 128 KiB with its
/// terminating NUL) each, and arguments plus environment together at most a quarter of the stack limit (2 MiB
/// with the usual 8 MiB), counting a pointer per string. Beyond that execve fails with E2BIG, so such a value is
/// refused when it is set, not when a release starts.</summary>
internal static class ConfigLimits
{
    /// <summary>MAX_ARG_STRLEN without the NUL: the longest "NAME=value" in UTF-8 bytes.</summary>
    public const int MaxVariableBytes = EnvironmentSize.MaxVariableBytes;

    /// <summary>The whole config of an environment: half of the 2 MiB, leaving the rest for what the platform adds
    /// (PATH, HOME, SLIPWAY_*, the messages URL and token), the manifest's own env and the command line.</summary>
    public const int MaxTotalBytes = 1024 * 1024;

    /// <summary>Why <paramref name="name"/>=<paramref name="value"/> cannot reach a process, or null.</summary>
    public static string? VariableProblem(string name, string value)
    {
        if (value.Contains('\0'))
        {
            return $"{name}: the value contains a NUL byte, which an environment variable cannot hold (encode it, e.g. as base64)";
        }
        return SizeProblem(name, EntryBytes(name, value));
    }

    /// <summary>Why a variable of <paramref name="bytes"/> bytes as NAME=value cannot reach a process, or null.</summary>
    public static string? SizeProblem(string name, long bytes) => EnvironmentSize.Problem(name, bytes);

    /// <summary>Why the environment <paramref name="vars"/> is too large for a process, or null.</summary>
    public static string? TotalProblem(IReadOnlyDictionary<string, string> vars)
    {
        var total = Total(vars);
        return total > MaxTotalBytes
            ? $"the config is {Size(total)} in all; a process can be started with at most {Size(MaxTotalBytes)} of config " +
              "(Linux allows about 2 MiB for arguments and environment together, and the platform needs the rest). Keep large data in files the app reads"
            : null;
    }

    /// <summary>What a config takes of the 2 MiB: each "NAME=value", its NUL and its pointer.</summary>
    public static long Total(IReadOnlyDictionary<string, string> vars) => vars.Sum(kv => (long)EntryBytes(kv.Key, kv.Value) + 1 + 8);

    private static int EntryBytes(string name, string value) => EnvironmentSize.EntryBytes(name, value);

    private static string Size(long bytes) => EnvironmentSize.Format(bytes);
}
