using Slipway.Domains;
using Slipway.Edge.Tls;

namespace Slipway.Monitoring.Alerts.Sources;

/// <summary>"certificate": a custom domain's certificate cannot be issued or renewed (the last attempt failed and none
/// succeeded since), or the certificate that serves it expires within Count days (default 14) or has expired. One
/// alert per domain (subject "domain:HOST") of its app environment; it resolves when a certificate is issued or
/// copied in. Expiry is the served certificate's when the edge terminates TLS (a certificate copied in with `certs
/// add` counts, and a failure of ours does not matter while it serves), else the one recorded as issued. One query.</summary>
internal sealed class DomainCertificateSource(DomainStore domains, State.Store store, CertificateStore? certificates = null) : IAlertSource
{
    public const string Certificate = "certificate";

    public static readonly AlertRuleDefinition Definition = new(Certificate,
        "A domain's certificate cannot be issued or renewed, or expires within 14 days; warning",
        new AlertRuleSettings(Count: 14, Severity: AlertSeverity.Warning), ThresholdUnit.None);

    public IReadOnlyList<AlertRuleDefinition> Rules { get; } = [Definition];

    public IEnumerable<AlertSignal> Evaluate(AlertContext context, CancellationToken cancellationToken)
    {
        var all = domains.List();
        if (all.Count == 0)
        {
            return [];
        }
        var apps = AppLabels.Read(store);
        var signals = new List<AlertSignal>();
        foreach (var domain in all)
        {
            if (!context.IsOn(Certificate, domain.App))
            {
                continue;
            }
            var settings = context.Settings(Certificate, domain.App);
            var days = settings.Count ?? 14;
            var served = certificates?.Find(domain.Host) is { Source: not CertificateSource.Development } entry ? entry : null;
            var manual = served is not null && served.Thumbprint != domain.AcmeThumbprint && served.NotAfter > context.Now;
            var notAfter = served?.NotAfter ?? domain.NotAfter;
            var failing = domain.LastError is not null && !manual;
            var expiring = notAfter is { } end && end - context.Now <= TimeSpan.FromDays(days);
            if (!failing && !expiring)
            {
                continue;
            }
            var app = apps.Ref(domain.App);
            var host = domain.Host;
            var expiry = notAfter is not { } until ? "It has no certificate yet."
                : until <= context.Now ? $"Its certificate expired {AlertText.Time(until)}."
                : $"Its certificate expires {AlertText.Time(until)}.";
            var title = notAfter is { } t && t <= context.Now ? $"{app}: certificate of {host} expired"
                : failing ? $"{app}: certificate {(domain.IssuedAt is null ? "issuance" : "renewal")} for {host} failing: {AlertText.FirstLine(domain.LastError)}"
                : $"{app}: certificate of {host} expires in {AlertText.Count((long)Math.Ceiling((notAfter!.Value - context.Now).TotalDays), "day", "days")}";
            var attempts = failing
                ? $" The last attempt ({(domain.LastAttemptAt is { } last ? AlertText.Time(last) : "-")}, {AlertText.Count(domain.Failures, "failure", "failures")} in a row) failed: " +
                  $"{AlertText.FirstLine(domain.LastError)}." + (domain.NextAttemptAt is { } next ? $" Next attempt {AlertText.Time(next)}." : "")
                : "";
            signals.Add(new AlertSignal(Certificate, "domain:" + host, domain.App, settings.Severity ?? AlertSeverity.Warning, title,
                $"{expiry}{attempts} Does {host} point here: slipway domains check {host}; try again now: slipway domains renew {host}; state: slipway domains ls"));
        }
        return signals;
    }
}
