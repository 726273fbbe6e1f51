using System.Text.Json;

namespace Slipway.Tests.Deploy.Operations;

/// <summary>The pids in `slipway status --json`, to check that instances were replaced or stopped.</summary>
internal static class StatusPids
{
    public static List<int> Of(JsonElement status) =>
        status.GetProperty("instances").EnumerateArray().Select(i => i.GetProperty("pid").GetInt32()).ToList();
}
