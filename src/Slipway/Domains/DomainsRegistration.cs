using Microsoft.Extensions.DependencyInjection;

namespace Slipway.Domains;

internal static class DomainsRegistration
{
    /// <summary>Custom domains and their certificates. Reads <see cref="DomainsOptions"/>, which the host registers.
    /// With <paramref name="certificates"/> (the edge terminates TLS: a certificate store exists) the issuer gets
    /// every domain a certificate from the ACME CA of the settings, and renews it.</summary>
    public static IServiceCollection AddDomains(this IServiceCollection services, bool certificates)
    {
        services.AddSingleton<DomainStore>();
        services.AddSingleton<AcmeConfiguration>();
        services.AddSingleton<CustomDomains>(); // without a certificate store (no HTTPS listener) domains route, with no certificates
        // The ACME account key and EAB key are sealed; an environment's domains go when it is destroyed.
        services.AddSingleton<State.ISealedRows, DomainRows>();
        services.AddSingleton<State.IAppRows, DomainRows>();
        services.AddHostedService<DomainsStartup>();
        // After DomainsStartup: the issuer's first round reads the settings the server's flags gave.
        if (certificates)
        {
            services.AddSingleton<Acme.IAcmeChallengeSolver, EdgeChallengeSolver>();
            services.AddSingleton<ICertificateAuthority, AcmeCertificateAuthority>();
            services.AddSingleton<CertificateIssuer>();
            services.AddHostedService(sp => sp.GetRequiredService<CertificateIssuer>());
        }
        return services;
    }
}
