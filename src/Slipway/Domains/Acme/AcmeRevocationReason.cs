namespace Slipway.Domains.Acme;

/// <summary>The CRL reason codes (RFC 5280 §5.3.1) a CA accepts in revokeCert (RFC 8555 §7.6).</summary>
internal enum AcmeRevocationReason
{
    Unspecified = 0,
    KeyCompromise = 1,
    AffiliationChanged = 3,
    Superseded = 4,
    CessationOfOperation = 5,
}
