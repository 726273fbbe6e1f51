using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Slipway.Jobs;

/// <summary>Signs message deliveries so the receiver can check they come from its own platform and were not
/// altered or replayed much later:
///
///   Slipway-Signature: t=UNIX_SECONDS,v1=hex(HMAC-SHA256(SLIPWAY_MESSAGES_SIGNING_KEY, "UNIX_SECONDS." + body))
///
/// A receiver recomputes v1 over the raw body with the key from its environment, compares in constant time,
/// and rejects a t more than a few minutes old.</summary>
internal static class MessageSigner
{
    public const string Header = "Slipway-Signature";

    public static string Sign(string key, DateTimeOffset at, ReadOnlySpan<byte> body)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var prefix = Encoding.UTF8.GetBytes(t + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return $"t={t},v1={Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), signed))}";
    }

    /// <summary>What a receiver does (here for tests and as the reference for app authors).</summary>
    public static bool Verify(string key, string header, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        // A forged header is an answer of false, never an exception: each key once, t a time DateTimeOffset holds.
        var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToList();
        if (parts.Count(p => p[0] == "t") != 1 || parts.Count(p => p[0] == "v1") != 1)
        {
            return false;
        }
        var t = parts.Single(p => p[0] == "t")[1];
        var v1 = parts.Single(p => p[0] == "v1")[1];
        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ||
            seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return false;
        }
        var at = DateTimeOffset.FromUnixTimeSeconds(seconds);
        if ((now - at).Duration() > tolerance)
        {
            return false;
        }
        var expected = Encoding.ASCII.GetBytes(Sign(key, at, body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes($"t={t},v1={v1}"));
    }
}
