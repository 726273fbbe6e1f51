using System.Globalization;

namespace Slipway.Dashboard;

/// <summary>What an instance uses, as the deployments page prints it: words where nothing was measured (no cgroups on
/// this machine, or the first look at its CPU), sizes in binary units as `slipway status` has them.</summary>
internal static class Usage
{
    public const string NotMeasured = "not measured";

    /// <summary>"12.5 % of a core", "0 % of a core".</summary>
    public static string Cpu(double? percent) => percent is { } p
        ? string.Create(CultureInfo.InvariantCulture, $"{(p >= 10 ? Math.Round(p) : Math.Round(p, 1))} % of a core")
        : NotMeasured;

    /// <summary>"48 MiB of 512 MiB", "48 MiB" without a limit.</summary>
    public static string Memory(long? bytes, long? limit) => bytes is { } used
        ? Size(used) + (limit is { } l ? " of " + Size(l) : "")
        : NotMeasured;

    public static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{(unit == 0 || value >= 10 ? Math.Round(value) : Math.Round(value, 1))} {units[unit]}");
    }

    /// <summary>The badge of an instance's state (the word is shown too: never colour alone).</summary>
    public static string StateKind(string state) => state switch
    {
        "healthy" => "good",
        "unhealthy" or "crashed" => "bad",
        "exited" or "stopped" => "idle",
        _ => "busy",
    };
}
