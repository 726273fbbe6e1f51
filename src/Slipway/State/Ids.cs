using System.Security.Cryptography;

namespace Slipway.State;

/// <summary>Short random ids with a kind prefix ("d-4k2m9x7q"), easy to read and type.</summary>
internal static class Ids
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    public static string New(string prefix) => prefix + "-" + RandomNumberGenerator.GetString(Alphabet, 8);
}
