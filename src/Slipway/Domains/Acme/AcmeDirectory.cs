using System.Text.Json;

namespace Slipway.Domains.Acme;

/// <summary>A CA's directory (RFC 8555 §7.1.1): the URL of each resource, and its meta data. <see cref="RenewalInfo"/>
/// is null for a CA without ACME Renewal Information (RFC 9773).</summary>
internal sealed record AcmeDirectory(
    Uri NewNonce,
    Uri NewAccount,
    Uri NewOrder,
    Uri? RevokeCert,
    Uri? KeyChange,
    Uri? RenewalInfo,
    string? TermsOfService,
    bool ExternalAccountRequired)
{
    /// <summary>Reads a directory document; null when one of the resources every CA has is missing.</summary>
    public static AcmeDirectory? Parse(JsonElement element)
    {
        var newNonce = AcmeJson.Url(element, "newNonce");
        var newAccount = AcmeJson.Url(element, "newAccount");
        var newOrder = AcmeJson.Url(element, "newOrder");
        if (newNonce is null || newAccount is null || newOrder is null)
        {
            return null;
        }
        var meta = AcmeJson.Object(element, "meta");
        return new AcmeDirectory(newNonce, newAccount, newOrder,
            AcmeJson.Url(element, "revokeCert"),
            AcmeJson.Url(element, "keyChange"),
            AcmeJson.Url(element, "renewalInfo"),
            meta is { } m ? AcmeJson.String(m, "termsOfService") : null,
            meta is { } n && AcmeJson.Bool(n, "externalAccountRequired"));
    }
}
