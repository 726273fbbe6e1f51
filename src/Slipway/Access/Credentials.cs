using System.Security.Cryptography;
using System.Text;

namespace Slipway.Access;

/// <summary>Bearer secrets: API tokens ("slp_…", 160 random bits) and login sessions ("sls_…"). Only their
/// SHA-256 hashes are stored; with that much entropy a fast hash is enough (nothing to brute-force).</summary>
internal static class Credentials
{
    public const string TokenPrefix = "slp_";
    public const string SessionPrefix = "sls_";
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    public static string NewToken() => TokenPrefix + RandomNumberGenerator.GetString(Alphabet, 32);

    public static string NewSession() => SessionPrefix + RandomNumberGenerator.GetString(Alphabet, 32);

    public static string NewCsrf() => RandomNumberGenerator.GetString(Alphabet, 32);

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>What `tokens ls` shows of a token: its prefix and last four characters.</summary>
    public static string Hint(string token) => token[..TokenPrefix.Length] + "…" + token[^4..];
}
