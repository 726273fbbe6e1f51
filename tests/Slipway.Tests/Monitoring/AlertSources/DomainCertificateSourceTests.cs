using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Slipway.Domains;
using Slipway.Edge.Tls;
using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Sources;

namespace Slipway.Tests.Monitoring.AlertSources;

/// <summary>"certificate": issuance or renewal failing, or the certificate expiring within 14 days.</summary>
public sealed class DomainCertificateSourceTests : IDisposable
{
    private const string Host = "shop.example.com";
    private readonly SourceHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void A_failing_issuance_fires_then_an_expiring_renewal_and_an_expired_certificate()
    {
        _h.Store.EnsureApp(AppRef.Of("shop", "staging"));
        _h.Domains.Upsert(DomainRecord.New(Host, "shop-staging", [], hsts: false, _h.Clock.GetUtcNow()));
        _h.Domains.Upsert(DomainRecord.New("blog.example.com", "blog", [], hsts: false, _h.Clock.GetUtcNow())); // no attempt yet
        var source = new DomainCertificateSource(_h.Domains, _h.Store);
        _h.Evaluate(source).Should().BeEmpty();

        _h.Domains.RecordFailure(Host, "urn:ietf:params:acme:error:dns: no A record\ndetails", _h.Clock.GetUtcNow(), _h.Clock.GetUtcNow().AddMinutes(1));
        var signal = _h.Evaluate(source).Should().ContainSingle().Subject;
        signal.Should().BeEquivalentTo(new
        {
            Rule = "certificate", Subject = "domain:" + Host, App = "shop-staging", Severity = AlertSeverity.Warning,
            Title = $"shop (staging): certificate issuance for {Host} failing: urn:ietf:params:acme:error:dns: no A record",
        });
        signal.Detail.Should().Contain("It has no certificate yet.").And.Contain("1 failure in a row").And.Contain($"slipway domains check {Host}");

        var now = _h.Clock.GetUtcNow();
        _h.Domains.RecordIssued(Host, "AB12", null, now, now.AddDays(90), now.AddDays(60));
        _h.Evaluate(source).Should().BeEmpty("issued, 90 days left");

        _h.Clock.Advance(TimeSpan.FromDays(80));
        _h.Evaluate(source).Should().ContainSingle().Which.Title.Should().Be($"shop (staging): certificate of {Host} expires in 10 days");
        _h.Set("certificate", "shop-staging", new AlertRuleSettings(Count: 7));
        _h.Evaluate(source).Should().BeEmpty("10 days are more than 7");
        _h.Set("certificate", "shop-staging", new AlertRuleSettings(Count: 30, Enabled: false));
        _h.Evaluate(source).Should().BeEmpty();
        _h.Clear();

        _h.Domains.RecordFailure(Host, "rate limited", _h.Clock.GetUtcNow(), _h.Clock.GetUtcNow().AddHours(1));
        _h.Evaluate(source).Should().ContainSingle().Which.Title.Should().Be($"shop (staging): certificate renewal for {Host} failing: rate limited");
        _h.Clock.Advance(TimeSpan.FromDays(11));
        _h.Evaluate(source).Should().ContainSingle().Which.Title.Should().Be($"shop (staging): certificate of {Host} expired");
    }

    [Fact]
    public void A_certificate_copied_in_counts_for_expiry_and_silences_our_failures()
    {
        _h.Store.EnsureApp(AppRef.Of("shop"));
        _h.Domains.Upsert(DomainRecord.New(Host, "shop", [], hsts: false, _h.Clock.GetUtcNow()));
        _h.Domains.RecordFailure(Host, "no A record", _h.Clock.GetUtcNow(), _h.Clock.GetUtcNow().AddMinutes(1));
        using var certificates = new CertificateStore(Path.Combine(_h.Dir, "certs"), _h.Clock, NullLogger<CertificateStore>.Instance);
        var source = new DomainCertificateSource(_h.Domains, _h.Store, certificates);
        _h.Evaluate(source).Should().ContainSingle("nothing serves it yet");

        var (cert, key) = SelfSigned(Host, _h.Clock.GetUtcNow().AddDays(60));
        certificates.Install(Host, cert, key);

        _h.Evaluate(source).Should().BeEmpty("a valid certificate of someone else's serves it, for 60 days");
        _h.Set("certificate", "shop", new AlertRuleSettings(Count: 90));
        _h.Evaluate(source).Should().ContainSingle().Which.Title.Should().Be($"shop: certificate of {Host} expires in 60 days");
    }

    private (string CertPem, string KeyPem) SelfSigned(string host, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(_h.Clock.GetUtcNow().AddDays(-1), notAfter);
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
