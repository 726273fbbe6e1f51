using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Access;
using Slipway.Domains;

namespace Slipway.Api;

internal sealed record DomainDto(string Host, string App, string Env, IReadOnlyList<string> RedirectFrom, bool Hsts, string Certificate,
    DateTimeOffset? NotAfter, DateTimeOffset? RenewAt, DateTimeOffset? NextAttemptAt, string? LastError);

/// <param name="HttpsPort">The edge's HTTPS port; null when the platform serves no HTTPS (and issues no certificates).</param>
internal sealed record DomainListDto(IReadOnlyList<DomainDto> Domains, int? HttpsPort, AcmeDto Acme);

internal sealed record DomainAddBody(string Host, IReadOnlyList<string>? RedirectFrom, bool Hsts, bool Move);

/// <summary>The ACME settings without their secrets: whether an EAB key is stored, never the key.</summary>
internal sealed record AcmeDto(string Directory, string DirectoryName, string? Email, string? EabKid, bool HasEabKey, bool HasAccount);

/// <param name="EabHmacKey">The EAB HMAC key, read from stdin by the CLI; never echoed back.</param>
internal sealed record AcmeSetBody(string? Directory, string? Email, string? EabKid, string? EabHmacKey, bool ClearEab);

/// <summary>/v1/domains and /v1/acme: custom domains of app environments, where their certificates come from, and
/// a DNS check of a name from the server itself.</summary>
internal static class DomainEndpoints
{
    /// <summary>The domain, when the caller may see its environment; otherwise the same 404 as for a name that is
    /// no domain, so the answer does not tell a user of other environments which domains exist.</summary>
    private static DomainView Visible(HttpContext context, CustomDomains domains, string host)
    {
        var domain = domains.View(domains.Require(host));
        return AccessControl.Caller(context).Can(Permission.Read, domain.App) ? domain : throw CustomDomains.NotADomain(host);
    }

    public static void MapDomainsApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/domains", (CustomDomains domains, AcmeConfiguration acme, HttpContext context) =>
        {
            var me = AccessControl.Caller(context);
            return new DomainListDto([.. domains.List().Where(d => me.Can(Permission.Read, d.App)).Select(Dto)],
                context.RequestServices.GetService<Edge.EdgeServer>()?.HttpsPort, Dto(acme.Current));
        }).RequireSignedIn("domains.list");

        api.MapPost("/v1/apps/{app}/domains", (string app, DomainAddBody body, CustomDomains domains, HttpContext context) =>
        {
            var scope = AppScope.Of(context, app);
            AccessControl.AuditDetail(context, body.Host);
            // Moving takes the name from another environment: the caller must be allowed to manage that one's domains too.
            if (body.Move && domains.OwnerOf(body.Host ?? "") is { } from && from != scope)
            {
                AccessControl.Demand(context, Permission.ManageDomains, from, "domains.move");
            }
            return Dto(domains.Add(scope, body.Host ?? "", body.RedirectFrom, body.Hsts, body.Move));
        }).RequireAccess(Permission.ManageDomains, "domains.add");

        api.MapDelete("/v1/domains/{host}", (string host, CustomDomains domains, HttpContext context) =>
        {
            var domain = Visible(context, domains, host);
            AccessControl.Demand(context, Permission.ManageDomains, domain.App, "domains.remove");
            AccessControl.AuditDetail(context, domain.Host);
            return Dto(domains.Remove(host));
        }).RequireSignedIn("domains.remove");

        api.MapPost("/v1/domains/{host}/renew", (string host, CustomDomains domains, HttpContext context) =>
        {
            var domain = Visible(context, domains, host);
            AccessControl.Demand(context, Permission.ManageDomains, domain.App, "domains.renew");
            AccessControl.AuditDetail(context, domain.Host);
            return Dto(domains.RenewNow(host));
        }).RequireSignedIn("domains.renew");

        api.MapGet("/v1/domains/{host}/check", async (string host, Deploy.DeployOptions platform, CancellationToken token) =>
            await DomainCheck.RunAsync(DomainNames.Normalize(host, platform.PlatformHost), token))
            .RequireSignedIn("domains.check");

        api.MapGet("/v1/acme", (AcmeConfiguration acme) => Dto(acme.Current)).RequireSignedIn("acme.show");
        api.MapPut("/v1/acme", (AcmeSetBody body, AcmeConfiguration acme, HttpContext context) =>
        {
            AccessControl.AuditDetail(context, string.Join(",", new[]
            {
                body.Directory is null ? null : "directory", body.Email is null ? null : "email", body.EabKid is null ? null : "eab", body.ClearEab ? "clear-eab" : null,
            }.OfType<string>()));
            return Dto(acme.Set(body.Directory, body.Email, body.EabKid, body.EabHmacKey, body.ClearEab));
        }).RequireAccess(Permission.ManagePlatform, "acme.set");
    }

    internal static DomainDto Dto(DomainView d) => new(d.Host, d.App.App, d.App.Env, d.RedirectFrom, d.Hsts, d.Certificate, d.NotAfter, d.RenewAt,
        d.NextAttemptAt, d.LastError);

    private static AcmeDto Dto(AcmeSettings s) => new(s.Directory, s.DirectoryName, s.Email, s.EabKid, s.HasEabKey, s.AccountUrl is not null);
}
