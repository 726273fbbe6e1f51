using System.Text.Json;

namespace Slipway.Domains;

/// <summary>A custom domain of one app environment (row key <see cref="App"/>) and the state of its ACME
/// certificate. <see cref="AcmeThumbprint"/> is the certificate Slipway itself installed: when the certificate
/// served for the host is another one (copied in with `certs add`), that one is "manual" and wins.</summary>
internal sealed record DomainRecord(string Host, string App, string RedirectFrom, long Hsts, DateTimeOffset CreatedAt,
    string? AcmeThumbprint, string? AcmeCertId, DateTimeOffset? IssuedAt, DateTimeOffset? NotAfter, DateTimeOffset? RenewAt,
    DateTimeOffset? AriCheckedAt, DateTimeOffset? NextAttemptAt, long Failures, string? LastError, DateTimeOffset? LastAttemptAt)
{
    /// <summary>Names that answer a 308 to this domain (www.shop.example.com), also covered by its certificate.</summary>
    public IReadOnlyList<string> RedirectHosts => JsonSerializer.Deserialize<List<string>>(RedirectFrom) ?? [];

    /// <summary>Every name the certificate covers: the domain first, then its redirect-from names.</summary>
    public IReadOnlyList<string> Names => [Host, .. RedirectHosts];

    public bool SendsHsts => Hsts != 0;

    public static DomainRecord New(string host, string app, IReadOnlyList<string> redirectFrom, bool hsts, DateTimeOffset now) =>
        new(host, app, JsonSerializer.Serialize(redirectFrom), hsts ? 1 : 0, now, null, null, null, null, null, null, null, 0, null, null);
}
