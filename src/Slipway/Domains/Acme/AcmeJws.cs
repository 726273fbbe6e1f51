using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;

namespace Slipway.Domains.Acme;

/// <summary>The JWS objects ACME requests are made of (RFC 8555 §6.2, flattened JSON serialization):
///
///   { "protected": b64u({"alg":"ES256", "jwk"|"kid", "nonce", "url"}), "payload": b64u(json) | "", "signature": b64u(r‖s) }
///
/// "jwk" for newAccount and a revocation signed with the certificate's key, "kid" (the account URL) for everything else;
/// an empty payload is a POST-as-GET. Pure functions: the nonce and URL come from the caller.</summary>
internal static class AcmeJws
{
    /// <summary>A request signed with the public key itself in the header ("jwk").</summary>
    public static JsonObject WithJwk(AcmeAccountKey key, string? nonce, Uri url, JsonNode? payload) =>
        Sign(key, Header(key, kid: null, nonce, url), payload);

    /// <summary>A request signed on behalf of the account at <paramref name="accountUrl"/> ("kid").</summary>
    public static JsonObject WithKid(AcmeAccountKey key, string accountUrl, string nonce, Uri url, JsonNode? payload) =>
        Sign(key, Header(key, accountUrl, nonce, url), payload);

    /// <summary>The externalAccountBinding member of a newAccount payload: the account's public JWK, signed with HS256
    /// under the CA's HMAC key, for the newAccount URL (§7.3.4).</summary>
    public static JsonObject ExternalAccountBinding(AcmeExternalAccountBinding binding, AcmeAccountKey accountKey, Uri newAccountUrl)
    {
        var header = new JsonObject { ["alg"] = "HS256", ["kid"] = binding.KeyId, ["url"] = newAccountUrl.OriginalString };
        var protectedPart = Encode(header.ToJsonString());
        var payloadPart = Encode(accountKey.Jwk().ToJsonString());
        var signature = binding.Sign(Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart));
        return new JsonObject { ["protected"] = protectedPart, ["payload"] = payloadPart, ["signature"] = Base64Url.EncodeToString(signature) };
    }

    /// <summary>The inner JWS of a key change (§7.3.5): signed by the new key, "jwk" of the new key, no nonce, the same
    /// URL as the outer request, and a payload naming the account and its old key.</summary>
    public static JsonObject KeyChange(AcmeAccountKey newKey, AcmeAccountKey oldKey, string accountUrl, Uri keyChangeUrl)
    {
        var payload = new JsonObject { ["account"] = accountUrl, ["oldKey"] = oldKey.Jwk() };
        return WithJwk(newKey, nonce: null, keyChangeUrl, payload);
    }

    private static JsonObject Header(AcmeAccountKey key, string? kid, string? nonce, Uri url)
    {
        var header = new JsonObject { ["alg"] = AcmeAccountKey.Algorithm };
        if (kid is null)
        {
            header["jwk"] = key.Jwk();
        }
        else
        {
            header["kid"] = kid;
        }
        if (nonce is not null)
        {
            header["nonce"] = nonce;
        }
        header["url"] = url.OriginalString;
        return header;
    }

    private static JsonObject Sign(AcmeAccountKey key, JsonObject header, JsonNode? payload)
    {
        var protectedPart = Encode(header.ToJsonString());
        var payloadPart = payload is null ? "" : Encode(payload.ToJsonString());
        var signature = key.Sign(Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart));
        return new JsonObject { ["protected"] = protectedPart, ["payload"] = payloadPart, ["signature"] = Base64Url.EncodeToString(signature) };
    }

    private static string Encode(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));
}
