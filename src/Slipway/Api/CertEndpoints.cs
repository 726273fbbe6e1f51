using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Edge.Tls;

namespace Slipway.Api;

internal sealed record CertificateDto(string Host, string Source, string Subject, IReadOnlyList<string> Names,
    DateTimeOffset NotBefore, DateTimeOffset NotAfter, string Thumbprint);

internal sealed record CertificateProblemDto(string Host, string Message);

/// <param name="HttpsPort">The edge's HTTPS port; null when the platform serves no HTTPS (started without --https-port).</param>
internal sealed record CertificateListDto(IReadOnlyList<CertificateDto> Certificates, IReadOnlyList<CertificateProblemDto> Problems, int? HttpsPort = null);

/// <summary>PEM text of a certificate chain and its key. The key travels only inside the platform's own API
/// (Unix socket 0600, or TCP with the bearer token) and is never echoed back.</summary>
internal sealed record CertificateInstallBody(string Host, string Cert, string Key);

/// <summary>TLS certificates served by the edge: list, install (validated, written atomically), remove.</summary>
internal static class CertEndpoints
{
    public static void MapCertificateApi(this IEndpointRouteBuilder api)
    {
        var v1 = api.MapGroup("/v1/certs");
        v1.MapGet("", (HttpContext context) =>
        {
            var store = Store(context);
            var current = store.Current;
            var certificates = current.Entries.Select(Dto).ToList();
            if (current.Development is { } development)
            {
                certificates.Add(Dto(development) with { Host = "*.localhost" });
            }
            return new CertificateListDto(certificates, [.. current.Problems.Select(p => new CertificateProblemDto(p.Host, p.Message))],
                context.RequestServices.GetService<Edge.EdgeServer>()?.HttpsPort);
        }).RequireAccess(Access.Permission.Read, "certs.list");
        v1.MapPost("", (CertificateInstallBody body, HttpContext context) =>
        {
            var store = Store(context);
            if (string.IsNullOrWhiteSpace(body.Host) || string.IsNullOrWhiteSpace(body.Cert) || string.IsNullOrWhiteSpace(body.Key))
            {
                throw new UserException("Send host, cert (PEM, leaf first then intermediates) and key (PEM).");
            }
            AccessControl.AuditDetail(context, body.Host);
            return Dto(store.Install(body.Host, body.Cert, body.Key));
        }).RequireAccess(Access.Permission.ManageDomains, "certs.add");
        v1.MapDelete("/{host}", (string host, HttpContext context) => Store(context).Remove(host)
            ? Results.Ok(new { removed = host })
            : throw new UserException($"No certificate files for {host}. 'slipway certs ls' lists what is installed.", 404))
            .RequireAccess(Access.Permission.ManageDomains, "certs.remove");
    }

    /// <summary>Resolved per request so the API still starts on a platform whose edge has no TLS listener.</summary>
    private static CertificateStore Store(HttpContext context) =>
        context.RequestServices.GetService<CertificateStore>()
            ?? throw new UserException("This platform does not terminate TLS, so it has no certificates. Start it with TLS enabled.", 404);

    private static CertificateDto Dto(CertificateEntry entry) => new(entry.Host,
        entry.Source == CertificateSource.Development ? "dev" : "file", entry.Subject, entry.Names, entry.NotBefore, entry.NotAfter, entry.Thumbprint);
}
