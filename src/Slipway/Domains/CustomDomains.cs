using System.Threading.Channels;
using Slipway.Deploy;
using Slipway.Edge;
using Slipway.Edge.Tls;
using Slipway.State;

namespace Slipway.Domains;

/// <summary>A domain as `domains ls` shows it.</summary>
/// <param name="Certificate">acme (issued here), manual (copied in with `certs add`: it wins), pending (not issued
/// yet), failing (the last attempt failed; <paramref name="LastError"/> says why), or off (no HTTPS listener).</param>
internal sealed record DomainView(string Host, AppRef App, IReadOnlyList<string> RedirectFrom, bool Hsts, string Certificate,
    DateTimeOffset? NotAfter, DateTimeOffset? RenewAt, DateTimeOffset? NextAttemptAt, string? LastError);

/// <summary>Custom domains: a public hostname that belongs to one app environment, the names that redirect to it,
/// its HSTS choice, and (through <see cref="CertificateIssuer"/>) its certificate. A domain's hostname is one of
/// its app's hostnames (<see cref="AppHosts"/>), so routing stays in one place; a hostname added earlier with
/// --host is adopted. Moving a domain to another app environment is explicit (--move).</summary>
internal sealed class CustomDomains(DomainStore domains, Store store, AppHosts hosts, DomainPolicies policies, DeployOptions options,
    TimeProvider clock, CertificateStore? certificates = null)
{
    private readonly Lock _gate = new();
    private readonly Channel<string> _wake = Channel.CreateBounded<string>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest });

    /// <summary>Hosts the issuer should look at now (a domain added, a certificate asked for by a handshake).</summary>
    public ChannelReader<string> Wakeups => _wake.Reader;

    public void Wake(string host) => _wake.Writer.TryWrite(host);

    public DomainView Add(AppRef scope, string host, IReadOnlyList<string>? redirectFrom, bool hsts, bool move)
    {
        host = DomainNames.Normalize(host, options.PlatformHost);
        var redirects = (redirectFrom ?? []).Select(r => DomainNames.Normalize(r, options.PlatformHost)).Distinct().ToList();
        if (redirects.Contains(host))
        {
            throw new UserException($"{host} cannot redirect to itself: --redirect-from names other hostnames (like www.{host}).");
        }
        lock (_gate)
        {
            if (store.FindApp(scope.Key) is not { } app || app.Ref != scope)
            {
                throw new UserException($"{scope} has not been deployed. Deploy it first (slipway deploy {scope.Flags}), then add its domain.", 404);
            }
            if (RedirectOwner(host) is { } redirecting)
            {
                throw new UserException(RedirectTaken(host, redirecting));
            }
            var existing = domains.Find(host);
            var owner = existing?.App ?? OwnerKey(host);
            if (owner is not null && owner != scope.Key && !move)
            {
                var other = store.RefOf(owner);
                throw new UserException($"{host} belongs to {other}; a domain belongs to one app environment. To move it here, say so: " +
                    $"slipway domains add {host} {scope.Flags} --move");
            }
            foreach (var name in redirects)
            {
                if (domains.Find(name) is not null)
                {
                    throw new UserException($"{name} is a domain of its own; it cannot also redirect to {host}. Remove it first: slipway domains rm {name}");
                }
                if (OwnerKey(name) is { } nameOwner)
                {
                    throw new UserException($"{name} is a hostname of {store.RefOf(nameOwner)}, so it cannot redirect to {host}. " +
                        $"Remove it there first: slipway hosts rm {store.RefOf(nameOwner).Flags} {name}");
                }
                if (RedirectOwner(name) is { } taken && taken.Host != host)
                {
                    throw new UserException(RedirectTaken(name, taken));
                }
            }
            if (owner is not null && owner != scope.Key && hosts.ExtraOf(owner).Contains(host))
            {
                hosts.Remove(owner, host);
            }
            hosts.Add(scope.Key, [host]);
            DropDestroyedCertificates([host, .. redirects]);
            domains.Upsert(DomainRecord.New(host, scope.Key, redirects, hsts, clock.GetUtcNow()));
            domains.ClearBackoff(host);
            Publish();
            Wake(host);
            return View(domains.Find(host)!);
        }
    }

    public DomainView Remove(string host)
    {
        host = host.Trim().TrimEnd('.').ToLowerInvariant();
        lock (_gate)
        {
            var domain = domains.Find(host) ?? throw NotADomain(host);
            if (hosts.ExtraOf(domain.App).Contains(host))
            {
                hosts.Remove(domain.App, host);
            }
            domains.Delete(host);
            // The certificate Slipway issued goes with the domain; one copied in by hand is the user's to remove (certs rm).
            foreach (var name in domain.Names)
            {
                if (certificates?.Find(name) is { Source: not CertificateSource.Development } served && served.Thumbprint == domain.AcmeThumbprint
                    && string.Equals(served.Host, name, StringComparison.OrdinalIgnoreCase))
                {
                    certificates.Remove(name);
                }
            }
            Publish();
            return View(domain);
        }
    }

    /// <summary>Orders a new certificate for the domain now, whatever its renewal time or backoff (after fixing DNS, or
    /// to replace a certificate that must go). The current certificate serves until the new one is installed.</summary>
    public DomainView RenewNow(string host)
    {
        lock (_gate)
        {
            var domain = Require(host);
            if (certificates is null)
            {
                throw new UserException($"{domain.Host} gets no certificate: this platform has no HTTPS listener. Start the server with --https-port 443.");
            }
            if (View(domain).Certificate == "manual")
            {
                throw new UserException($"{domain.Host} is served by a certificate you copied in, which Slipway does not renew: replace it with `slipway certs add`, " +
                    $"or remove it (`slipway certs rm {domain.Host}`) and Slipway issues one.");
            }
            domains.RenewNow(domain.Host, clock.GetUtcNow());
            Wake(domain.Host);
            return View(domains.Find(domain.Host)!);
        }
    }

    /// <summary>A TLS handshake asked for <paramref name="host"/> and no certificate covers it. When the platform routes it
    /// (a hostname added with --host or `hosts add`), it becomes a domain of that app and is issued in the background;
    /// handshakes for it fail until then. Any other name is ignored, so strangers' SNI cannot make the platform order.</summary>
    public bool AdoptRouted(string host)
    {
        host = host.Trim().TrimEnd('.').ToLowerInvariant();
        lock (_gate)
        {
            if (domains.Find(host) is not null || domains.List().Any(d => d.RedirectHosts.Contains(host)) || OwnerKey(host) is not { } owner)
            {
                return false;
            }
            try
            {
                DomainNames.Normalize(host, options.PlatformHost);
            }
            catch (UserException)
            {
                return false;
            }
            domains.Upsert(DomainRecord.New(host, owner, [], false, clock.GetUtcNow()));
            Publish();
            return true;
        }
    }

    /// <summary>Installs a certificate ordered for <paramref name="orderedFor"/> for the names the domain still has in
    /// the same environment, under the lock of add/rm/move; null (nothing installed) when it is gone or moved.</summary>
    public IReadOnlyList<string>? InstallIssued(DomainRecord orderedFor, Action<IReadOnlyList<string>> install)
    {
        lock (_gate)
        {
            if (domains.Find(orderedFor.Host) is not { } now || now.App != orderedFor.App)
            {
                return null;
            }
            var names = now.Names.Where(n => orderedFor.Names.Contains(n, StringComparer.OrdinalIgnoreCase)).ToList();
            install(names);
            return names;
        }
    }

    /// <summary>For <see cref="Deploy.AppHosts.Reserved"/>: a redirect-from name cannot become any app's hostname.</summary>
    public string? ReservedHostname(string host) => RedirectOwner(host) is { } domain ? RedirectTaken(host, domain) : null;

    // A name whose destroyed environment's certificate the issuer has not deleted yet: delete it now, or the new
    // domain would find a certificate it did not record and take it for one copied in.
    private void DropDestroyedCertificates(IReadOnlyList<string> names)
    {
        foreach (var (host, thumbprint) in domains.CertificatesToRemove().Where(c => names.Contains(c.Host)))
        {
            if (certificates?.Find(host) is { } served && served.Thumbprint == thumbprint && string.Equals(served.Host, host, StringComparison.OrdinalIgnoreCase))
            {
                certificates.Remove(host);
            }
            domains.CertificateRemoved(host, thumbprint);
        }
    }

    private DomainRecord? RedirectOwner(string name) => domains.List().FirstOrDefault(d => d.RedirectHosts.Contains(name));

    private string RedirectTaken(string name, DomainRecord domain) =>
        $"{name} redirects to {domain.Host} (a domain of {store.RefOf(domain.App)}), so it cannot be another name of its own. " +
        $"Change that domain first: slipway domains add {domain.Host} {store.RefOf(domain.App).Flags} with its other --redirect-from names.";

    public DomainRecord Require(string host) =>
        domains.Find(host.Trim().TrimEnd('.').ToLowerInvariant()) ?? throw NotADomain(host);

    public IReadOnlyList<DomainView> List() => [.. domains.List().Select(View)];

    /// <summary>Hands the edge the redirect-from names and HSTS choices of every domain (at start and after each change).</summary>
    public void Publish()
    {
        var all = domains.List();
        policies.Publish(
            all.SelectMany(d => d.RedirectHosts.Select(r => KeyValuePair.Create(r, d.Host))),
            all.Where(d => d.SendsHsts).SelectMany(d => d.Names));
    }

    public DomainView View(DomainRecord domain)
    {
        var served = certificates?.Find(domain.Host);
        var own = served is { Source: not CertificateSource.Development } ? served : null;
        string state;
        if (certificates is null)
        {
            state = "off";
        }
        else if (own is not null && own.Thumbprint != domain.AcmeThumbprint)
        {
            state = "manual";
        }
        else if (domain.Failures > 0)
        {
            state = "failing";
        }
        else
        {
            state = own is not null ? "acme" : "pending";
        }
        return new DomainView(domain.Host, store.RefOf(domain.App), domain.RedirectHosts, domain.SendsHsts, state,
            own?.NotAfter, state == "acme" || state == "failing" ? domain.RenewAt : null, domain.NextAttemptAt, domain.LastError);
    }

    /// <summary>The app environment a name belongs to, as a domain or a hostname added with --host; null when none.</summary>
    public AppRef? OwnerOf(string host)
    {
        host = host.Trim().TrimEnd('.').ToLowerInvariant();
        return (domains.Find(host)?.App ?? OwnerKey(host)) is { } key ? store.RefOf(key) : null;
    }

    private string? OwnerKey(string host) =>
        store.ListApps().FirstOrDefault(a => hosts.ExtraOf(a.Name).Contains(host, StringComparer.OrdinalIgnoreCase))?.Name;

    public static UserException NotADomain(string host) =>
        new($"{host} is not a domain here. 'slipway domains ls' lists them (hostnames added with --host are in 'slipway hosts ls').", 404);
}
