using System.Text.Json;

namespace Slipway.Domains.Acme;

/// <summary>An RFC 7807 problem document as ACME uses it (RFC 8555 §6.7): a type such as
/// urn:ietf:params:acme:error:dns, the CA's detail, and per-identifier subproblems.</summary>
internal sealed record AcmeProblem(string? Type, string? Detail, int? Status, string? Identifier, IReadOnlyList<AcmeProblem> Subproblems)
{
    public const string Prefix = "urn:ietf:params:acme:error:";

    /// <summary>The type without the ACME prefix ("dns", "rateLimited"), or the whole type when it is not an ACME one.</summary>
    public string? ShortType => Type is not null && Type.StartsWith(Prefix, StringComparison.Ordinal) ? Type[Prefix.Length..] : Type;

    public static AcmeProblem Parse(JsonElement element) => new(
        AcmeJson.String(element, "type"),
        AcmeJson.String(element, "detail"),
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("status", out var status) && status.TryGetInt32(out var code) ? code : null,
        AcmeJson.Identifier(element),
        AcmeJson.Array(element, "subproblems").Select(Parse).ToList());
}
