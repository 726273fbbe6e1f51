using Microsoft.Extensions.Hosting;

namespace Slipway.Domains;

/// <summary>At start: the ACME settings given as `server` flags are persisted, and the edge gets every domain's
/// redirects and HSTS choices before it serves a request.</summary>
internal sealed class DomainsStartup(CustomDomains domains, AcmeConfiguration acme, DomainsOptions options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.AcmeDirectory is not null || options.AcmeEmail is not null)
        {
            acme.Set(options.AcmeDirectory, options.AcmeEmail, null, null);
        }
        domains.Publish();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
