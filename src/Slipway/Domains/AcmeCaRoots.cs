using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Slipway.Domains;

/// <summary>The roots of `server --acme-ca-root FILE`, read once at start.</summary>
internal static class AcmeCaRoots
{
    public static IReadOnlyList<X509Certificate2> Load(string? path)
    {
        if (path is null)
        {
            return [];
        }
        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserException($"--acme-ca-root {path}: cannot be read ({e.Message}). Give the PEM file of your private CA's root certificate.");
        }
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            throw new UserException($"--acme-ca-root {path}: not PEM certificates ({e.Message}). Give the file that holds -----BEGIN CERTIFICATE----- blocks.");
        }
        return roots.Count > 0
            ? roots.ToList()
            : throw new UserException($"--acme-ca-root {path}: holds no certificate. Give the PEM file of your private CA's root certificate.");
    }
}
