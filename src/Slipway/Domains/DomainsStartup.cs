using Microsoft.Extensions.Hosting;

namespace Slipway.Domains;

/// <summary>At start: the ACME settings given as `server` flags are persisted, and the edge gets every domain's
/// redirects and HSTS choices before it serves a request, and tells the issuer of handshakes for routed names that
/// have no certificate.</summary>
internal sealed class DomainsStartup(CustomDomains domains, AcmeConfiguration acme, DomainsOptions options, Edge.EdgeServer edge) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.AcmeDirectory is not null || options.AcmeEmail is not null)
        {
            acme.Set(options.AcmeDirectory, options.AcmeEmail, null, null);
        }
        domains.Publish();
        // A handshake for a routed name without a certificate (a hostname added with --host) orders one in the background.
        edge.CertificateMissing = domains.Wake;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
