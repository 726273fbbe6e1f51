using System.Security.Cryptography;

namespace Slipway.Edge;

/// <summary>Request ids: a random per-process prefix and a counter, unique across restarts and machines without
/// a call into the crypto library per request.</summary>
internal static class RequestIds
{
    private static readonly string Prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
    private static long _counter;

    public static string Next() => string.Create(24, Interlocked.Increment(ref _counter), static (span, n) =>
    {
        Prefix.AsSpan().CopyTo(span);
        ((ulong)n).TryFormat(span[12..], out _, "x12");
    });
}
