namespace Slipway.Domains.Acme;

/// <summary>The status of an ACME object (RFC 8555 §7.1.6): accounts, orders, authorizations and challenges share
/// these spellings. <see cref="Unknown"/> stands for one this client does not know.</summary>
internal enum AcmeStatus
{
    Unknown,
    Pending,
    Ready,
    Processing,
    Valid,
    Invalid,
    Deactivated,
    Expired,
    Revoked,
}

internal static class AcmeStatuses
{
    public static AcmeStatus Parse(string? value) => value switch
    {
        "pending" => AcmeStatus.Pending,
        "ready" => AcmeStatus.Ready,
        "processing" => AcmeStatus.Processing,
        "valid" => AcmeStatus.Valid,
        "invalid" => AcmeStatus.Invalid,
        "deactivated" => AcmeStatus.Deactivated,
        "expired" => AcmeStatus.Expired,
        "revoked" => AcmeStatus.Revoked,
        _ => AcmeStatus.Unknown,
    };

    public static string Spelling(this AcmeStatus status) => status.ToString().ToLowerInvariant();
}
