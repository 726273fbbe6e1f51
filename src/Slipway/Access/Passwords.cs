using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;

namespace Slipway.Access;

/// <summary>Argon2id password hashes in the PHC string format
/// ($argon2id$v=19$m=19456,t=2,p=1$SALT$HASH), with OWASP's minimum parameters: 19 MiB, two passes, one lane.
/// The parameters are part of each hash, so raising them later still verifies old hashes.</summary>
internal static class Passwords
{
    private const int MemoryKiB = 19 * 1024;
    private const int Iterations = 2;
    private const int Parallelism = 1;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    /// <summary>Shorter passwords are refused; longer than this is refused too, so a megabyte "password" cannot
    /// make each login attempt cost a megabyte of hashing.</summary>
    public const int MinLength = 12;
    public const int MaxLength = 1024;

    public static void Check(string password)
    {
        if (password.Length < MinLength)
        {
            throw new UserException($"A password needs at least {MinLength} characters (a passphrase of a few words is easy to remember).");
        }
        if (password.Length > MaxLength)
        {
            throw new UserException($"A password may have at most {MaxLength} characters.");
        }
    }

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Compute(password, salt, MemoryKiB, Iterations, Parallelism, HashBytes);
        return $"$argon2id$v=19$m={MemoryKiB},t={Iterations},p={Parallelism}${Unpadded(salt)}${Unpadded(hash)}";
    }

    /// <summary>Whether <paramref name="password"/> is the one <paramref name="encoded"/> was made from. A hash
    /// this code cannot read never matches.</summary>
    public static bool Verify(string password, string encoded)
    {
        if (password.Length > MaxLength)
        {
            return false;
        }
        var parts = encoded.Split('$');
        if (parts.Length != 6 || parts[1] != "argon2id" || parts[2] != "v=19")
        {
            return false;
        }
        var settings = parts[3].Split(',').Select(p => p.Split('=')).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => int.TryParse(p[1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1, StringComparer.Ordinal);
        if (!settings.TryGetValue("m", out var memory) || !settings.TryGetValue("t", out var iterations) || !settings.TryGetValue("p", out var lanes) ||
            memory is < 8 or > 1024 * 1024 || iterations is < 1 or > 100 || lanes is < 1 or > 16)
        {
            return false;
        }
        byte[] salt, expected;
        try
        {
            salt = FromUnpadded(parts[4]);
            expected = FromUnpadded(parts[5]);
        }
        catch (FormatException)
        {
            return false;
        }
        var actual = Compute(password, salt, memory, iterations, lanes, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>A hash of a random password, to verify against when a login names no user: the answer then
    /// takes as long as for a real user, so timing does not tell which names exist.</summary>
    public static readonly string Decoy = Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)));

    private static byte[] Compute(string password, byte[] salt, int memory, int iterations, int lanes, int length)
    {
        using var argon = new Argon2id(Encoding.UTF8.GetBytes(password))
        {
            Salt = salt,
            MemorySize = memory,
            Iterations = iterations,
            DegreeOfParallelism = lanes,
        };
        return argon.GetBytes(length);
    }

    private static string Unpadded(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static byte[] FromUnpadded(string text) => Convert.FromBase64String(text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='));
}
