using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Slipway.Domains.Acme;

/// <summary>RFC 7638: the SHA-256 digest of a JWK's required members, as JSON with the members in lexicographic order and
/// no whitespace, base64url. The same key always gives the same thumbprint, whatever else its JWK carries.</summary>
internal static class JwkThumbprint
{
    private static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>The canonical JSON of <paramref name="requiredMembers"/> (for EC: crv, kty, x, y; for RSA: e, kty, n).</summary>
    public static string CanonicalJson(IReadOnlyDictionary<string, string> requiredMembers)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Compact))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in requiredMembers.OrderBy(member => member.Key, StringComparer.Ordinal))
            {
                writer.WriteString(name, value);
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string Compute(IReadOnlyDictionary<string, string> requiredMembers) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalJson(requiredMembers))));
}
