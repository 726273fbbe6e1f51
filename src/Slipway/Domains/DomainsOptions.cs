namespace Slipway.Domains;

/// <summary>Host settings of the Domains subsystem.</summary>
internal sealed class DomainsOptions
{
    /// <summary>How often the issuer looks for due issuance, renewals and retries (besides wake-ups).</summary>
    public TimeSpan Tick { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>ACME settings given as `server` flags: written to the persisted settings at start when set.</summary>
    public string? AcmeDirectory { get; set; }
    public string? AcmeEmail { get; set; }
}
