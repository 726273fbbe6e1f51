using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Slipway.Deploy;

namespace Slipway.Api;

/// <summary>/v1/platform/isolation: how the running platform confines apps, and what this machine keeps it from
/// doing (`slipway doctor` shows it; the platform's own view, since the CLI may run as another user).</summary>
internal static class IsolationEndpoints
{
    public static void MapIsolationApi(this IEndpointRouteBuilder api) =>
        api.MapGet("/v1/platform/isolation", (AppIsolation isolation, AppVolumes volumes) =>
        {
            var host = isolation.Host;
            return new IsolationDto(host.CanSandbox, host.CanLimit, host.CanFirewall, host.Cgroups?.Version, host.Gaps(), volumes.Quota);
        }).RequireAccess(Access.Permission.ManagePlatform, "platform.isolation");
}

/// <param name="Sandboxed">Each app environment runs as its own user in a bubblewrap sandbox.</param>
/// <param name="Limits">Memory, pids and CPU limits and per-instance accounting (cgroups).</param>
/// <param name="Firewall">Instance ports refuse other apps' users and other machines (nftables).</param>
/// <param name="Gaps">What is missing, each with how to get it.</param>
/// <param name="DiskQuota">Whether volumes and builds are capped by anything but the disk's free space.</param>
internal sealed record IsolationDto(bool Sandboxed, bool Limits, bool Firewall, int? CgroupVersion, IReadOnlyList<string> Gaps, string DiskQuota);
