using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Slipway.Edge.Tls;
using Slipway.State;

namespace Slipway.Domains;

/// <summary>Gets and keeps every domain's certificate, one order at a time, following <see cref="RenewalPolicy"/>:
///
///   tick (every minute) or wake-up (domain added, handshake for a routed name without a certificate)
///     └─► for each domain: Decide ─► Issue/Renew ─► ICertificateAuthority ─► CertificateStore.Install (served at once)
///                                   └─ failure ─► event + backoff (the old certificate keeps serving while valid)
///                         └─► CheckRenewalInfo ─► the CA's window may bring the renewal forward
///
/// Events (domain.certificate-issued, -renewed, -failed) are what the alerting issue turns into notifications.</summary>
internal sealed partial class CertificateIssuer(CustomDomains domains, DomainStore store, Store state, CertificateStore certificates,
    ICertificateAuthority authority, DomainsOptions options, TimeProvider clock, ILogger<CertificateIssuer> logger) : BackgroundService
{
    private readonly Random _random = Random.Shared;

    /// <summary>Completed orders and attempts since start (for tests and `doctor`).</summary>
    public int Attempts { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        domains.Publish();
        using var timer = new PeriodicTimer(options.Tick, clock);
        var tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
        Task<bool>? wake = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogRoundFailed(e);
            }
            wake ??= domains.Wakeups.WaitToReadAsync(stoppingToken).AsTask();
            try
            {
                if (await Task.WhenAny(tick, wake) == wake)
                {
                    wake = null; // consumed; a tick leaves it waiting for the next wake-up
                }
                else
                {
                    if (!await tick)
                    {
                        return;
                    }
                    tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            while (domains.Wakeups.TryRead(out var host))
            {
                domains.AdoptRouted(host);
            }
        }
    }

    /// <summary>One pass over every domain: what is due is done now, in host order.</summary>
    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        RemoveDestroyedCertificates();
        foreach (var domain in store.List())
        {
            var now = clock.GetUtcNow();
            var served = Served(domain.Host);
            switch (RenewalPolicy.Decide(domain, served, now))
            {
                case DomainAction.Issue:
                    await IssueAsync(domain, renewal: false, cancellationToken);
                    break;
                case DomainAction.Renew:
                    await IssueAsync(domain, renewal: true, cancellationToken);
                    break;
                case DomainAction.CheckRenewalInfo:
                    await CheckRenewalInfoAsync(domain, served!, cancellationToken);
                    break;
            }
        }
    }

    private async Task IssueAsync(DomainRecord domain, bool renewal, CancellationToken cancellationToken)
    {
        Attempts++;
        var app = state.RefOf(domain.App);
        try
        {
            LogOrdering(domain.Host, domain.Names.Count);
            var issued = await authority.IssueAsync(domain.Names, renewal ? domain.AcmeCertId : null, cancellationToken);
            string thumbprint;
            using (var leaf = X509Certificate2.CreateFromPem(issued.ChainPem))
            {
                thumbprint = leaf.Thumbprint;
            }
            var renewAt = RenewalPolicy.RenewAt(issued.NotBefore, issued.NotAfter, _random.NextDouble());
            // The order took a while: install only for what the domain is now (it may have been removed, moved, or
            // have other redirect names), under the lock `domains add/rm` take. The record comes first, so a crash
            // between the two costs one more order, never a certificate the issuer takes for a copied-in one.
            var installed = domains.InstallIssued(domain, names =>
            {
                store.RecordIssued(domain.Host, thumbprint, issued.CertificateId, clock.GetUtcNow(), issued.NotAfter, renewAt);
                foreach (var name in names)
                {
                    certificates.Install(name, issued.ChainPem, issued.KeyPem);
                }
            });
            if (installed is null)
            {
                LogDiscarded(domain.Host);
                return;
            }
            state.AddEvent(domain.App, null, renewal ? "domain.certificate-renewed" : "domain.certificate-issued",
                $"{domain.Host}: certificate for {string.Join(", ", installed)} valid until {issued.NotAfter:yyyy-MM-dd HH:mm} UTC, renewal from {renewAt:yyyy-MM-dd}");
            LogIssued(domain.Host, issued.NotAfter);
        }
        catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // Every failure is the domain's own: recorded with backoff, and the round goes on to the next domain.
            var expected = e is CertificateAuthorityException or UserException;
            if (!expected)
            {
                LogUnexpected(e, domain.Host);
            }
            var message = expected ? e.Message : $"an unexpected error ({e.GetType().Name}: {e.Message}); the platform's log has the details";
            var now = clock.GetUtcNow();
            var retryAfter = (e as CertificateAuthorityException)?.RetryAfter;
            var next = RenewalPolicy.NextAttempt((int)domain.Failures + 1, now, retryAfter, _random.NextDouble());
            store.RecordFailure(domain.Host, message, now, next);
            var serving = Served(domain.Host) is { Development: false } old && now < old.NotAfter
                ? $" The current certificate keeps serving until {old.NotAfter:yyyy-MM-dd HH:mm} UTC."
                : $" HTTPS for {domain.Host} fails until a certificate is issued.";
            state.AddEvent(domain.App, null, "domain.certificate-failed",
                $"{domain.Host}: {message}{serving} Next attempt {next:yyyy-MM-dd HH:mm} UTC (slipway domains ls).");
            LogFailed(domain.Host, app.ToString(), message, next);
        }
    }

    private async Task CheckRenewalInfoAsync(DomainRecord domain, ServedCertificate served, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var planned = domain.RenewAt ?? served.NotAfter;
        try
        {
            var window = await authority.RenewalInfoAsync(domain.AcmeCertId!, cancellationToken);
            var renewAt = window is null ? planned : RenewalPolicy.InWindow(window.Start, window.End, _random.NextDouble(), now, planned);
            store.RecordRenewalInfo(domain.Host, now, renewAt);
            if (renewAt < planned)
            {
                LogRenewalMovedUp(domain.Host, renewAt, window?.ExplanationUrl ?? "-");
            }
        }
        catch (CertificateAuthorityException e)
        {
            // Renewal information is advice: without it the certificate renews at its planned time.
            store.RecordRenewalInfo(domain.Host, now, planned);
            LogRenewalInfoFailed(domain.Host, e.Message);
        }
    }

    // Certificates issued for the domains of a destroyed environment: deleted unless the name was given a certificate
    // of its own since (copied in, or issued again for a new domain of the same name).
    private void RemoveDestroyedCertificates()
    {
        foreach (var (host, thumbprint) in store.CertificatesToRemove())
        {
            if (certificates.Find(host) is { } served && served.Thumbprint == thumbprint && string.Equals(served.Host, host, StringComparison.OrdinalIgnoreCase)
                && store.Find(host) is null)
            {
                certificates.Remove(host);
            }
            store.CertificateRemoved(host, thumbprint);
        }
    }

    private ServedCertificate? Served(string host) => certificates.Find(host) is { } entry
        ? new ServedCertificate(entry.Thumbprint, entry.NotAfter, entry.Source == CertificateSource.Development, entry.Names)
        : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Ordering a certificate for {Host} ({Names} name(s))")]
    private partial void LogOrdering(string host, int names);

    [LoggerMessage(Level = LogLevel.Information, Message = "Certificate for {Host} issued, valid until {NotAfter}")]
    private partial void LogIssued(string host, DateTimeOffset notAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Certificate for {Host} ({App}) failed: {Error}; next attempt {Next}")]
    private partial void LogFailed(string host, string app, string error, DateTimeOffset next);

    [LoggerMessage(Level = LogLevel.Information, Message = "The CA asks to renew {Host} early, at {RenewAt} ({Explanation})")]
    private partial void LogRenewalMovedUp(string host, DateTimeOffset renewAt, string explanation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewal information for {Host} could not be read: {Error}")]
    private partial void LogRenewalInfoFailed(string host, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Certificate for {Host} not installed: the domain was removed or moved while it was ordered")]
    private partial void LogDiscarded(string host);

    [LoggerMessage(Level = LogLevel.Error, Message = "Getting a certificate for {Host} failed unexpectedly")]
    private partial void LogUnexpected(Exception exception, string host);

    [LoggerMessage(Level = LogLevel.Error, Message = "A certificate round failed")]
    private partial void LogRoundFailed(Exception exception);
}
