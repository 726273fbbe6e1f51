using System.Security.Cryptography;

namespace Slipway.Databases;

/// <summary>Generated credentials: 32 letters and digits (about 190 bits), safe in URLs and SQL literals.</summary>
internal static class Secrets
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    public static string Password() => RandomNumberGenerator.GetString(Alphabet, 32);
}
