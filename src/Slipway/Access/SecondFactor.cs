using System.Security.Cryptography;
using System.Text.Json;
using OtpNet;

namespace Slipway.Access;

/// <summary>TOTP (RFC 6238: SHA-1, 6 digits, 30 s, as every authenticator app reads it) with one step of clock
/// drift either way, and single-use recovery codes stored as SHA-256 hashes.</summary>
internal static class SecondFactor
{
    public const int RecoveryCodes = 10;

    public static string NewSecret() => Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20));

    /// <summary>The otpauth:// URI an authenticator app scans or imports.</summary>
    public static string Uri(string secret, string user, string issuer) =>
        $"otpauth://totp/{System.Uri.EscapeDataString(issuer)}:{System.Uri.EscapeDataString(user)}?secret={secret}&issuer={System.Uri.EscapeDataString(issuer)}&digits=6&period=30";

    /// <summary>The time step <paramref name="code"/> matches, or null.</summary>
    public static long? Match(string secret, string code, DateTimeOffset now)
    {
        var digits = new string(code.Where(char.IsAsciiDigit).ToArray());
        if (digits.Length != 6)
        {
            return null;
        }
        var totp = new Totp(Base32Encoding.ToBytes(secret));
        return totp.VerifyTotp(now.UtcDateTime, digits, out var step, new VerificationWindow(previous: 1, future: 1)) ? step : null;
    }

    /// <summary>The current code (tests and `users totp enable`'s check).</summary>
    public static string Code(string secret, DateTimeOffset now) => new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(now.UtcDateTime);

    /// <summary>New recovery codes ("k7f2-9xqa-...") and the JSON list of their hashes to store.</summary>
    public static (IReadOnlyList<string> Codes, string Stored) NewRecoveryCodes()
    {
        const string alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
        var codes = Enumerable.Range(0, RecoveryCodes)
            .Select(_ => string.Join('-', Enumerable.Range(0, 3).Select(_ => RandomNumberGenerator.GetString(alphabet, 4))))
            .ToList();
        return (codes, JsonSerializer.Serialize(codes.Select(Credentials.Hash).ToList()));
    }

    /// <summary>The stored list without <paramref name="code"/>, or null when it is not one of them.</summary>
    public static string? UseRecoveryCode(string stored, string code)
    {
        var hashes = JsonSerializer.Deserialize<List<string>>(stored) ?? [];
        var hash = Credentials.Hash(code.Trim().ToLowerInvariant());
        return hashes.Remove(hash) ? JsonSerializer.Serialize(hashes) : null;
    }
}
