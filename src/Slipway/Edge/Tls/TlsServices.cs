using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Slipway.Edge.Tls;

internal static class TlsServices
{
    /// <summary>The certificate store over DATA/certs (<paramref name="certsDir"/>), one per platform (the edge
    /// selects from it, the API lists and installs through it), and the TLS-ALPN-01 challenges its listener answers.</summary>
    public static IServiceCollection AddCertificateStore(this IServiceCollection services, string certsDir) =>
        services.AddSingleton(sp => new CertificateStore(certsDir,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CertificateStore>>()))
            .AddSingleton<AcmeTlsChallenges>();
}
