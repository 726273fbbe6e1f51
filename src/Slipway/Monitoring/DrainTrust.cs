using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Slipway.Monitoring;

/// <summary>TLS trust for a drain given `--ca FILE`: the system's roots, or the certificates of that file (a private
/// CA, or the receiver's self-signed certificate itself). The name is always checked.</summary>
internal static class DrainTrust
{
    /// <summary>The certificates of a drain's --ca PEM, or null when it has none (the system's roots alone).</summary>
    public static X509Certificate2Collection? Roots(string? pem)
    {
        if (pem is null)
        {
            return null;
        }
        var roots = new X509Certificate2Collection();
        roots.ImportFromPem(pem);
        return roots;
    }

    public static RemoteCertificateValidationCallback? Validator(X509Certificate2Collection? roots) => roots is null ? null : (_, certificate, _, errors) =>
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }
        using var leaf = new X509Certificate2(certificate);
        if (roots.Any(root => root.Thumbprint == leaf.Thumbprint))
        {
            return true; // the --ca file is this very certificate (a self-signed one)
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    };
}
