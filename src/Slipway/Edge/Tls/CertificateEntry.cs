using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Slipway.Edge.Tls;

/// <summary>Where a served certificate came from: a file pair under certs/HOST/, or the generated development
/// certificate. (ACME-issued certificates are files too: the issuer installs them like any other.)</summary>
internal enum CertificateSource
{
    File,
    Development,
}

/// <summary>One loaded, validated certificate ready for handshakes. <see cref="Context"/> carries the leaf, its
/// private key and the intermediates from the fullchain file, built once at load time so a handshake does no
/// chain building or disk I/O.</summary>
internal sealed record CertificateEntry(
    string Host,
    X509Certificate2 Certificate,
    SslStreamCertificateContext Context,
    CertificateSource Source,
    IReadOnlyList<string> Names,
    string? Directory)
{
    public string Subject => Certificate.Subject;
    public DateTimeOffset NotBefore => new(Certificate.NotBefore.ToUniversalTime());
    public DateTimeOffset NotAfter => new(Certificate.NotAfter.ToUniversalTime());
    public string Thumbprint => Certificate.Thumbprint;

    /// <summary>Sizes and mtimes of the files it was loaded from: a reload reuses the entry while they match.</summary>
    public string? Stamp { get; init; }
}

/// <summary>A host whose files could not be used, and why (the message says what to do next).</summary>
internal sealed record CertificateProblem(string Host, string Directory, string Message);
