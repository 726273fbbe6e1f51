using Microsoft.Extensions.Hosting;

namespace Slipway.Domains;

/// <summary>At start: the ACME settings given as `server` flags are persisted when they changed since the last start
/// (so a later `slipway acme set` is not undone by every restart of a service whose unit names the flags), and the
/// edge gets every domain's redirects and HSTS choices before it serves a request, and tells the issuer of
/// handshakes for routed names that have no certificate.</summary>
internal sealed class DomainsStartup(CustomDomains domains, AcmeConfiguration acme, DomainStore store, DomainsOptions options, Edge.EdgeServer edge,
    Deploy.AppHosts hosts) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var flags = $"{options.AcmeDirectory}\n{options.AcmeEmail}";
        if ((options.AcmeDirectory is not null || options.AcmeEmail is not null) && store.Setting(AcmeSettings.ServerFlagsKey) != flags)
        {
            acme.Set(options.AcmeDirectory, options.AcmeEmail, null, null);
            store.SetSettings(new Dictionary<string, string?> { [AcmeSettings.ServerFlagsKey] = flags });
        }
        domains.Publish();
        // A handshake for a routed name without a certificate (a hostname added with --host) orders one in the background.
        edge.CertificateMissing = domains.Wake;
        // A domain's redirect-from names answer redirects: no app may take one with --host or `hosts add`.
        hosts.Reserved = domains.ReservedHostname;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
