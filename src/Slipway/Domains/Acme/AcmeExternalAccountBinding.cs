using System.Buffers.Text;

namespace Slipway.Domains.Acme;

/// <summary>External Account Binding (RFC 8555 §7.3.4): the key id and HMAC key a CA hands out (ZeroSSL, Google,
/// most commercial CAs) to tie a new ACME account to an account with them. The HMAC key never leaves this object
/// except as an HS256 signature; <see cref="ToString"/> shows the key id only.</summary>
internal sealed class AcmeExternalAccountBinding
{
    private readonly byte[] _hmacKey;

    /// <param name="keyId">The key id ("kid") as the CA gave it.</param>
    /// <param name="base64UrlHmacKey">The HMAC key as the CA shows it: base64url (padding and standard base64's + and / are accepted too).</param>
    public AcmeExternalAccountBinding(string keyId, string base64UrlHmacKey)
    {
        if (string.IsNullOrWhiteSpace(keyId))
        {
            throw new ArgumentException("External Account Binding needs the key id the CA gave with the HMAC key.", nameof(keyId));
        }
        var text = base64UrlHmacKey.Trim().TrimEnd('=').Replace('+', '-').Replace('/', '_');
        if (text.Length == 0 || !Base64Url.IsValid(text))
        {
            throw new ArgumentException("The External Account Binding HMAC key is not base64url text: paste it exactly as the CA shows it.", nameof(base64UrlHmacKey));
        }
        KeyId = keyId.Trim();
        _hmacKey = Base64Url.DecodeFromChars(text);
    }

    public string KeyId { get; }

    /// <summary>HMAC-SHA256 of <paramref name="data"/> under the CA's key (the HS256 signature of the binding).</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) => System.Security.Cryptography.HMACSHA256.HashData(_hmacKey, data);

    public override string ToString() => $"External Account Binding {KeyId}";
}
