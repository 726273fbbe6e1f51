using Microsoft.Extensions.DependencyInjection;

namespace Slipway.Domains;

internal static class DomainsRegistration
{
    /// <summary>Custom domains and their certificates. Reads <see cref="DomainsOptions"/>, which the host registers.
    /// The issuer runs only when the edge terminates TLS (a certificate store exists) and a CA is registered.</summary>
    public static IServiceCollection AddDomains(this IServiceCollection services)
    {
        services.AddSingleton<DomainStore>();
        services.AddSingleton<AcmeConfiguration>();
        services.AddSingleton<CustomDomains>(); // without a certificate store (no HTTPS listener) domains route, with no certificates
        // The ACME account key and EAB key are sealed; an environment's domains go when it is destroyed.
        services.AddSingleton<State.ISealedRows, DomainRows>();
        services.AddSingleton<State.IAppRows, DomainRows>();
        services.AddHostedService<DomainsStartup>();
        return services;
    }
}
