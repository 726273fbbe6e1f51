namespace Slipway.Domains;

/// <summary>Where the issuer gets certificates: the ACME CA of the settings (<see cref="AcmeCertificateAuthority"/>).
/// A seam so the issuer's policy (when, what, after which failure) is apart from the protocol.</summary>
internal interface ICertificateAuthority
{
    /// <summary>Orders, validates (the challenges are answered by the edge) and downloads a certificate for
    /// <paramref name="names"/> (the first is the domain). <paramref name="replaces"/> is the ARI id of the certificate
    /// it replaces, if any. Throws <see cref="CertificateAuthorityException"/> for the CA's and the network's failures.</summary>
    Task<IssuedCertificate> IssueAsync(IReadOnlyList<string> names, string? replaces, CancellationToken cancellationToken);

    /// <summary>The CA's suggested renewal window for a certificate (RFC 9773), or null when the CA has none.</summary>
    Task<RenewalWindow?> RenewalInfoAsync(string certificateId, CancellationToken cancellationToken);
}

/// <param name="CertificateId">The certificate's ARI id (base64url AKI "." base64url serial), for renewalInfo and `replaces`.</param>
internal sealed record IssuedCertificate(string ChainPem, string KeyPem, DateTimeOffset NotBefore, DateTimeOffset NotAfter, string? CertificateId);

internal sealed record RenewalWindow(DateTimeOffset Start, DateTimeOffset End, string? ExplanationUrl);

/// <summary>A failure to get a certificate, in words that name the cause and the fix (never key material), and how
/// long the CA asked to wait before the next attempt (rate limits, Retry-After).</summary>
internal sealed class CertificateAuthorityException(string message, TimeSpan? retryAfter = null, Exception? inner = null) : Exception(message, inner)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
