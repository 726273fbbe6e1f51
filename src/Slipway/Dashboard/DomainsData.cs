using Slipway.Access;
using Slipway.Api;
using Slipway.Domains;
using Slipway.Edge;
using Slipway.State;

namespace Slipway.Dashboard;

/// <summary>Builds an app environment's Domains tab from what GET /v1/domains answers (the same DomainDto, filtered to
/// the environment), with the actions the API would accept from the caller: add, remove and renew need manage-domains
/// (admin) of the environment, and a renewal only of a certificate Slipway issues (not one copied in, nor without HTTPS).</summary>
internal sealed class DomainsData(CustomDomains domains, AcmeConfiguration acme, EdgeServer edge, AppViews views, TimeProvider clock)
{
    public DomainsView Domains(Principal me, AppRecord app)
    {
        var scope = app.Ref;
        var manages = me.Can(Permission.ManageDomains, scope);
        var rows = domains.List().Where(d => d.App == scope).Select(DomainEndpoints.Dto).Select(d => Row(d, scope, manages)).ToList();
        var summary = views.App(app);
        return new DomainsView(
            new AppRow(summary.App, summary.Env, summary.State, summary.Urls, null, DashboardData.PagePath(scope)),
            rows,
            manages ? "/v1" + DashboardData.PagePath(scope, "/domains") : null,
            edge.HttpsPort is not null,
            acme.Current.DirectoryName,
            DashboardData.PagePath(scope, "/domains/content"),
            clock.GetUtcNow());
    }

    /// <summary>GET /v1/domains/HOST/check's answer, for a domain of this environment (any other name: the API's 404).</summary>
    public async Task<DomainCheckView> CheckAsync(Principal me, AppRecord app, string host, string platformHost, CancellationToken cancellationToken)
    {
        var domain = domains.View(domains.Require(host));
        if (domain.App != app.Ref || !me.Can(Permission.Read, domain.App))
        {
            throw CustomDomains.NotADomain(host);
        }
        var check = await DomainCheck.RunAsync(DomainNames.Normalize(domain.Host, platformHost), cancellationToken);
        return new DomainCheckView(check.Host, check.Addresses, check.Verdict, check.Message);
    }

    /// <summary>Where a visitor reaches the domain: over HTTPS once it has a certificate, else over HTTP.</summary>
    private string Url(DomainDto d) =>
        d.Certificate is "acme" or "manual" ? edge.HttpsUrlOf(d.Host) : edge.UrlOf(d.Host);

    private DomainRow Row(DomainDto d, AppRef scope, bool manages)
    {
        var host = Uri.EscapeDataString(d.Host);
        var renews = manages && d.Certificate is not ("manual" or "off");
        var check = DashboardData.PagePath(scope, "/domains/check");
        return new DomainRow(d.Host, TeamData.IdOf(d.Host), d.RedirectFrom, d.Hsts, d.Certificate, d.NotAfter, d.RenewAt, d.NextAttemptAt, d.LastError,
            Url(d),
            manages ? $"/v1/domains/{host}" : null,
            renews ? $"/v1/domains/{host}/renew" : null,
            check + (check.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "host=" + host);
    }
}
