using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Slipway.Domains.Acme;

namespace Slipway.Tests.Domains.Acme;

public sealed class AcmeJwsTests
{
    private static readonly Uri NewAccount = new("https://ca.example/acme/new-account");

    [Fact]
    public void The_thumbprint_of_RFC_7638s_example_key_is_the_one_the_RFC_gives()
    {
        // RFC 7638 §3.1: the RSA key of its example, and §3.1's result.
        var members = new Dictionary<string, string>
        {
            ["kty"] = "RSA",
            ["n"] = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            ["e"] = "AQAB",
        };

        JwkThumbprint.CanonicalJson(members).Should().StartWith("{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4c");
        JwkThumbprint.Compute(members).Should().Be("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    [Fact]
    public void An_account_keys_thumbprint_is_over_its_canonical_EC_members_and_survives_a_PEM_round_trip()
    {
        using var key = AcmeAccountKey.Generate();
        var jwk = key.Jwk();
        jwk.Select(member => member.Key).Should().Equal("crv", "kty", "x", "y");
        var canonical = $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{jwk["x"]}\",\"y\":\"{jwk["y"]}\"}}";
        key.Thumbprint.Should().Be(Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))));
        Base64Url.DecodeFromChars(jwk["x"]!.GetValue<string>()).Should().HaveCount(32);

        using var again = AcmeAccountKey.FromPem(key.ToPem());
        again.Thumbprint.Should().Be(key.Thumbprint);
        key.ToString().Should().Be($"P-256 key {key.Thumbprint}").And.NotContain("PRIVATE");
    }

    [Fact]
    public void Only_P256_keys_in_PEM_are_accepted_and_the_refusal_quotes_nothing_of_the_text()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var pem = p384.ExportPkcs8PrivateKeyPem();
        FluentActions.Invoking(() => AcmeAccountKey.FromPem(pem)).Should().Throw<ArgumentException>().WithMessage("*P-256*");
        FluentActions.Invoking(() => AcmeAccountKey.FromPem("-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----"))
            .Should().Throw<ArgumentException>().Which.Message.Should().NotContain("c2VjcmV0");
    }

    [Fact]
    public void A_jwk_request_carries_the_public_key_nonce_and_url_and_an_ES256_signature_a_verifier_accepts()
    {
        using var key = AcmeAccountKey.Generate();
        var jws = AcmeJws.WithJwk(key, "nonce-1", NewAccount, new JsonObject { ["termsOfServiceAgreed"] = true });

        var header = Decode(jws["protected"]!);
        header["alg"]!.GetValue<string>().Should().Be("ES256");
        header["nonce"]!.GetValue<string>().Should().Be("nonce-1");
        header["url"]!.GetValue<string>().Should().Be(NewAccount.OriginalString);
        header["kid"].Should().BeNull();
        JsonNode.DeepEquals(header["jwk"], key.Jwk()).Should().BeTrue();
        Decode(jws["payload"]!)["termsOfServiceAgreed"]!.GetValue<bool>().Should().BeTrue();
        VerifiesWith(header["jwk"]!, jws).Should().BeTrue("an independent verifier built from the jwk accepts the signature");
    }

    [Fact]
    public void A_kid_request_names_the_account_and_a_POST_as_GET_has_an_empty_payload()
    {
        using var key = AcmeAccountKey.Generate();
        var jws = AcmeJws.WithKid(key, "https://ca.example/acct/7", "nonce-2", new Uri("https://ca.example/order/9"), payload: null);

        var header = Decode(jws["protected"]!);
        header["kid"]!.GetValue<string>().Should().Be("https://ca.example/acct/7");
        header["jwk"].Should().BeNull();
        jws["payload"]!.GetValue<string>().Should().BeEmpty();
        VerifiesWith(key.Jwk(), jws).Should().BeTrue();

        var tampered = jws.DeepClone().AsObject();
        tampered["payload"] = Base64Url.EncodeToString("{}"u8);
        VerifiesWith(key.Jwk(), tampered).Should().BeFalse("the signature covers the payload");
    }

    [Fact]
    public void External_account_binding_is_the_account_jwk_signed_HS256_under_the_CAs_key_for_the_newAccount_url()
    {
        using var key = AcmeAccountKey.Generate();
        var hmacKey = Base64Url.EncodeToString(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        var binding = new AcmeExternalAccountBinding("kid-1", hmacKey);

        var eab = AcmeJws.ExternalAccountBinding(binding, key, NewAccount);

        var header = Decode(eab["protected"]!);
        header.ToJsonString().Should().Be($"{{\"alg\":\"HS256\",\"kid\":\"kid-1\",\"url\":\"{NewAccount.OriginalString}\"}}");
        JsonNode.DeepEquals(Decode(eab["payload"]!), key.Jwk()).Should().BeTrue();
        var expected = HMACSHA256.HashData(Base64Url.DecodeFromChars(hmacKey),
            Encoding.ASCII.GetBytes(eab["protected"]!.GetValue<string>() + "." + eab["payload"]!.GetValue<string>()));
        eab["signature"]!.GetValue<string>().Should().Be(Base64Url.EncodeToString(expected));
        binding.ToString().Should().NotContain(hmacKey);
    }

    [Fact]
    public void A_key_change_is_an_inner_JWS_by_the_new_key_without_nonce_naming_the_account_and_the_old_key()
    {
        using var oldKey = AcmeAccountKey.Generate();
        using var newKey = AcmeAccountKey.Generate();
        var url = new Uri("https://ca.example/key-change");

        var inner = AcmeJws.KeyChange(newKey, oldKey, "https://ca.example/acct/7", url);

        var header = Decode(inner["protected"]!);
        header["nonce"].Should().BeNull();
        header["url"]!.GetValue<string>().Should().Be(url.OriginalString);
        JsonNode.DeepEquals(header["jwk"], newKey.Jwk()).Should().BeTrue();
        var payload = Decode(inner["payload"]!);
        payload["account"]!.GetValue<string>().Should().Be("https://ca.example/acct/7");
        JsonNode.DeepEquals(payload["oldKey"], oldKey.Jwk()).Should().BeTrue();
        VerifiesWith(newKey.Jwk(), inner).Should().BeTrue();
        VerifiesWith(oldKey.Jwk(), inner).Should().BeFalse();
    }

    [Fact]
    public void The_key_authorization_is_the_token_a_dot_and_the_thumbprint()
    {
        using var key = AcmeAccountKey.Generate();
        AcmeChallengeAnswers.KeyAuthorization("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", key.Thumbprint)
            .Should().Be("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA." + key.Thumbprint);
        AcmeChallengeAnswers.Http01Path("tok").Should().Be("/.well-known/acme-challenge/tok");
    }

    private static JsonNode Decode(JsonNode part) => JsonNode.Parse(Base64Url.DecodeFromChars(part.GetValue<string>()))!;

    private static bool VerifiesWith(JsonNode jwk, JsonObject jws)
    {
        using var verifier = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64Url.DecodeFromChars(jwk["x"]!.GetValue<string>()), Y = Base64Url.DecodeFromChars(jwk["y"]!.GetValue<string>()) },
        });
        var signature = Base64Url.DecodeFromChars(jws["signature"]!.GetValue<string>());
        signature.Should().HaveCount(64, "ES256 signatures are r and s of 32 bytes each, not DER");
        return verifier.VerifyData(Encoding.ASCII.GetBytes(jws["protected"]!.GetValue<string>() + "." + jws["payload"]!.GetValue<string>()),
            signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }
}
