namespace Slipway.Domains;

/// <summary>Host settings of the Domains subsystem.</summary>
internal sealed class DomainsOptions
{
    /// <summary>How often the issuer looks for due issuance, renewals and retries (besides wake-ups).</summary>
    public TimeSpan Tick { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>ACME settings given as `server` flags: written to the persisted settings at start when set.</summary>
    public string? AcmeDirectory { get; set; }
    public string? AcmeEmail { get; set; }

    /// <summary>Roots trusted for the ACME directory's own HTTPS besides the system's (`server --acme-ca-root`): a
    /// private CA such as step-ca or Pebble. Empty: the system's roots only.</summary>
    public IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> AcmeCaRoots { get; set; } = [];

    /// <summary>The ACME challenges the edge answers (http-01 is preferred when the CA offers both).</summary>
    public IReadOnlyList<string> ChallengeTypes { get; set; } = [Acme.AcmeChallenge.Http01, Acme.AcmeChallenge.TlsAlpn01];

    /// <summary>Polling and timeouts of the ACME client; null: its defaults.</summary>
    public Acme.AcmeClientOptions? AcmeClient { get; set; }
}
