using System.Text.Json;

namespace Slipway.Domains.Acme;

/// <summary>An ACME account as the CA holds it. <see cref="Url"/> is the account's id ("kid") that the caller keeps
/// beside the account key.</summary>
internal sealed record AcmeAccount(string Url, AcmeStatus Status, IReadOnlyList<string> Contact)
{
    public static AcmeAccount Parse(JsonElement element, string url) => new(
        url,
        AcmeStatuses.Parse(AcmeJson.String(element, "status")),
        AcmeJson.Array(element, "contact").Where(c => c.ValueKind == JsonValueKind.String).Select(c => c.GetString()!).ToList());
}
