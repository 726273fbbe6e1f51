using System.Text.Json;

namespace Slipway.Domains.Acme;

/// <summary>An order (RFC 8555 §7.1.3): pending (authorizations to satisfy) → ready (finalize with a CSR) → processing
/// → valid (certificate to download), or invalid with the CA's <see cref="Error"/>.</summary>
internal sealed record AcmeOrder(
    Uri Url,
    AcmeStatus Status,
    IReadOnlyList<string> Identifiers,
    IReadOnlyList<Uri> Authorizations,
    Uri Finalize,
    Uri? Certificate,
    AcmeProblem? Error,
    string? Replaces)
{
    public static AcmeOrder Parse(JsonElement element, Uri url)
    {
        var finalize = AcmeJson.Url(element, "finalize")
            ?? throw new AcmeException($"The CA's order {url} has no finalize URL: this CA does not follow RFC 8555.", null);
        return new AcmeOrder(
            url,
            AcmeStatuses.Parse(AcmeJson.String(element, "status")),
            AcmeJson.Array(element, "identifiers").Select(i => AcmeJson.String(i, "value")).OfType<string>().ToList(),
            AcmeJson.Array(element, "authorizations")
                .Select(a => a.ValueKind == JsonValueKind.String && Uri.TryCreate(a.GetString(), UriKind.Absolute, out var u) ? u : null)
                .OfType<Uri>().ToList(),
            finalize,
            AcmeJson.Url(element, "certificate"),
            AcmeJson.Object(element, "error") is { } error ? AcmeProblem.Parse(error) : null,
            AcmeJson.String(element, "replaces"));
    }
}
