using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Slipway.Deploy;
using Slipway.State;

namespace Slipway.Api;

/// <summary>/v1/apps/{app}/volumes: an environment's persistent directories, their sizes and whether anything caps them.</summary>
internal static class VolumeEndpoints
{
    public static void MapVolumesApi(this IEndpointRouteBuilder api)
    {
        var volumes = api.MapGroup("/v1/apps/{app}/volumes");
        volumes.MapGet("", (string app, Store store, AppVolumes all, HttpContext context) =>
        {
            AppScope.Require(context, store, app);
            return List(app, all);
        }).RequireAccess(Access.Permission.Read, "volumes.list");
        volumes.MapDelete("/{name}", async (string app, string name, Store store, AppVolumes all, AppLocks locks, HttpContext context) =>
        {
            AppScope.Require(context, store, app);
            // Under the app's lock: a deploy that is about to mount it either runs first (and the removal is refused) or after.
            using (await locks.HoldAsync(app, context.RequestAborted))
            {
                all.Remove(app, name);
            }
            return List(app, all);
        }).RequireAccess(Access.Permission.Destroy, "volumes.remove");
    }

    private static List<VolumeDto> List(string app, AppVolumes all)
    {
        var quota = all.Quota;
        return all.List(app).Select(v => new VolumeDto(v.Name, v.Path, v.Path is not null, v.HostDir, v.Bytes, quota)).ToList();
    }
}

/// <param name="Path">Where the live deployment mounts it; null when none does (kept from an earlier one).</param>
/// <param name="Quota">Whether anything but the disk's free space caps it.</param>
internal sealed record VolumeDto(string Name, string? Path, bool Mounted, string HostDir, long Bytes, string Quota);
