using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Slipway.Hosting;

namespace Slipway.Edge.Tls;

internal static class TlsServices
{
    /// <summary>The certificate store over DATA/certs, one per platform (the edge selects from it, the API
    /// lists and installs through it).</summary>
    public static IServiceCollection AddCertificateStore(this IServiceCollection services, PlatformOptions options) =>
        services.AddSingleton(sp => new CertificateStore(Path.Combine(options.DataDir, "certs"),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CertificateStore>>()));
}
