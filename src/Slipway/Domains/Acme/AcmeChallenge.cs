using System.Text.Json;

namespace Slipway.Domains.Acme;

/// <summary>One way to prove control of an identifier (RFC 8555 §8): <see cref="Type"/> is "http-01", "tls-alpn-01",
/// "dns-01"...; <see cref="Error"/> says why the CA found it invalid.</summary>
internal sealed record AcmeChallenge(string Type, Uri Url, string Token, AcmeStatus Status, AcmeProblem? Error)
{
    public const string Http01 = "http-01";
    public const string TlsAlpn01 = "tls-alpn-01";

    public static AcmeChallenge? Parse(JsonElement element)
    {
        var type = AcmeJson.String(element, "type");
        var url = AcmeJson.Url(element, "url");
        if (type is null || url is null)
        {
            return null;
        }
        return new AcmeChallenge(type, url, AcmeJson.String(element, "token") ?? "",
            AcmeStatuses.Parse(AcmeJson.String(element, "status")),
            AcmeJson.Object(element, "error") is { } error ? AcmeProblem.Parse(error) : null);
    }
}
