using System.Security.Cryptography;
using System.Text;

namespace Slipway.Api;

/// <summary>The bearer token the API requires on TCP. Created on first start, stored with mode 0600; the Unix
/// socket is protected by its own file permissions instead.</summary>
internal static class ApiToken
{
    public static string LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }
        var token = "slp_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        using (var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            stream.Write(Encoding.UTF8.GetBytes(token + "\n"));
        }
        return token;
    }

    public static bool Matches(string expected, string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return false;
        }
        var given = Encoding.UTF8.GetBytes(authorization["Bearer ".Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(expected));
    }
}
