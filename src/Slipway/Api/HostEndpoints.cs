using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Slipway.Deploy;
using Slipway.Edge;
using Slipway.State;

namespace Slipway.Api;

/// <summary>/v1/apps/{app}/hosts: the hostnames an app environment answers. Adding or removing one takes effect
/// on the edge at once; deploys only add (--host), so a hostname goes only when it is removed here.</summary>
internal static class HostEndpoints
{
    public static void MapHostsApi(this IEndpointRouteBuilder api)
    {
        var apps = api.MapGroup("/v1/apps/{app}/hosts");
        apps.MapGet("", (string app, Store store, AppHosts hosts, EdgeServer edge, HttpContext context) =>
        {
            AppScope.Require(context, store, app);
            return List(app, hosts, edge);
        }).RequireAccess(Access.Permission.Read, "hosts.list");
        apps.MapPost("", (string app, HostsBody body, Store store, AppHosts hosts, EdgeServer edge, HttpContext context) =>
        {
            AppScope.Require(context, store, app);
            if (body.Hosts is not { Count: > 0 })
            {
                throw new UserException("Give the hostname to add, like: slipway hosts add --app APP shop.example.com");
            }
            hosts.Add(app, body.Hosts);
            return List(app, hosts, edge);
        }).RequireAccess(Access.Permission.ManageDomains, "hosts.add");
        apps.MapDelete("/{host}", (string app, string host, Store store, AppHosts hosts, EdgeServer edge, Domains.DomainStore domains, HttpContext context) =>
        {
            var record = AppScope.Require(context, store, app);
            if (domains.Find(host.Trim().TrimEnd('.').ToLowerInvariant()) is { } domain && domain.App == record.Name)
            {
                throw new UserException($"{domain.Host} is a domain of this app (with its certificate): remove it with slipway domains rm {domain.Host}");
            }
            hosts.Remove(app, host);
            return List(app, hosts, edge);
        }).RequireAccess(Access.Permission.ManageDomains, "hosts.remove");
    }

    private static List<HostDto> List(string app, AppHosts hosts, EdgeServer edge) =>
        hosts.For(app).Select((h, i) => new HostDto(h, i == 0, edge.UrlOf(h))).ToList();
}
