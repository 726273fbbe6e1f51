using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Slipway.Domains.Acme;

/// <summary>An ECDSA P-256 key that signs JWS with ES256: the ACME account key, or a certificate's own key when a
/// revocation is signed with it. The caller keeps it (as PKCS#8 PEM, <see cref="ToPem"/>); nothing here prints it:
/// <see cref="ToString"/> shows only the public thumbprint.</summary>
internal sealed class AcmeAccountKey : IDisposable
{
    public const string Algorithm = "ES256";

    private readonly ECDsa _key;
    private readonly Dictionary<string, string> _jwk;

    private AcmeAccountKey(ECDsa key)
    {
        var parameters = key.ExportParameters(includePrivateParameters: false);
        if (parameters.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            key.Dispose();
            throw new ArgumentException("ACME keys here are ECDSA P-256 (ES256); this key is on another curve.");
        }
        _key = key;
        _jwk = new Dictionary<string, string>
        {
            ["crv"] = "P-256",
            ["kty"] = "EC",
            ["x"] = Base64Url.EncodeToString(parameters.Q.X),
            ["y"] = Base64Url.EncodeToString(parameters.Q.Y),
        };
        Thumbprint = JwkThumbprint.Compute(_jwk);
    }

    /// <summary>The RFC 7638 thumbprint (base64url SHA-256) of the public key: what key authorizations end with.</summary>
    public string Thumbprint { get; }

    public static AcmeAccountKey Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Reads a PKCS#8 PEM ("PRIVATE KEY") of a P-256 key, as <see cref="ToPem"/> wrote it.</summary>
    public static AcmeAccountKey FromPem(string pkcs8Pem)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pkcs8Pem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            // The inner exception is left out on purpose: nothing of the text given should travel further.
            key.Dispose();
            throw new ArgumentException("The ACME key is not a PEM-encoded ECDSA P-256 private key (PKCS#8, \"BEGIN PRIVATE KEY\").");
        }
        return new AcmeAccountKey(key);
    }

    public string ToPem() => _key.ExportPkcs8PrivateKeyPem();

    /// <summary>The public JWK (crv, kty, x, y), for a JWS header or an EAB payload.</summary>
    public JsonObject Jwk()
    {
        var jwk = new JsonObject();
        foreach (var (name, value) in _jwk.OrderBy(member => member.Key, StringComparer.Ordinal))
        {
            jwk[name] = value;
        }
        return jwk;
    }

    /// <summary>An ES256 signature: r and s, 32 bytes each (IEEE P1363, as JWS wants it, not DER).</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) => _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public override string ToString() => $"P-256 key {Thumbprint}";

    public void Dispose() => _key.Dispose();
}
