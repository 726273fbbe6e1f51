using System.Text.Json;

namespace Slipway.Domains.Acme;

/// <summary>An authorization (RFC 8555 §7.1.4): the CA's question "do you control <see cref="Host"/>?" with the
/// challenges that can answer it.</summary>
internal sealed record AcmeAuthorization(Uri Url, string Host, AcmeStatus Status, IReadOnlyList<AcmeChallenge> Challenges, bool Wildcard)
{
    public static AcmeAuthorization Parse(JsonElement element, Uri url) => new(
        url,
        AcmeJson.Identifier(element) ?? "",
        AcmeStatuses.Parse(AcmeJson.String(element, "status")),
        AcmeJson.Array(element, "challenges").Select(AcmeChallenge.Parse).OfType<AcmeChallenge>().ToList(),
        AcmeJson.Bool(element, "wildcard"));

    /// <summary>The problem the CA found with this authorization's challenges, if it says.</summary>
    public AcmeProblem? Error => Challenges.Select(c => c.Error).FirstOrDefault(e => e is not null);
}
