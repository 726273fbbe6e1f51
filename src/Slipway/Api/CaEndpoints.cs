using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Edge.Tls;

namespace Slipway.Api;

/// <param name="Pem">The root certificate alone (public); its key never leaves the data directory.</param>
/// <param name="Sha256">The fingerprint browsers and <c>openssl x509 -fingerprint -sha256</c> show.</param>
internal sealed record CaDto(string Subject, string Sha256, DateTimeOffset NotAfter, string Pem);

/// <summary>The development CA's root, for <c>slipway ca cert | trust</c>: public, so a viewer may read it.</summary>
internal static class CaEndpoints
{
    public static void MapCaApi(this IEndpointRouteBuilder api) =>
        api.MapGet("/v1/ca", (HttpContext context) =>
        {
            var store = context.RequestServices.GetService<CertificateStore>()
                ?? throw new UserException("This platform serves no HTTPS, so it has no development CA. " +
                    "Start it with an HTTPS port (slipway up --https-port 8443) and ask again.", 404);
            var root = store.LocalCa.Root
                ?? throw new UserException("The development CA could not be made: the platform log says why (often a certs directory it cannot write). Fix that and restart the platform.", 503);
            return new CaDto(root.Subject, DevelopmentCa.Fingerprint(root), new DateTimeOffset(root.NotAfter.ToUniversalTime()), root.ExportCertificatePem());
        }).RequireAccess(Access.Permission.Read, "ca.cert");
}
