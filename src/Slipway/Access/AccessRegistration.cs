using Microsoft.Extensions.DependencyInjection;

namespace Slipway.Access;

internal static class AccessRegistration
{
    /// <summary>Users, tokens, sessions and the audit log. Reads <see cref="AccessOptions"/>, which the host registers.</summary>
    public static IServiceCollection AddSlipwayAccess(this IServiceCollection services)
    {
        services.AddSingleton<AccessStore>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<AccessService>();
        services.AddSingleton<AuditLog>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditLog>());
        // TOTP secrets are sealed under the master key: key rotation re-seals them with everything else.
        services.AddSingleton<State.ISealedRows, AccessRows>();
        return services;
    }
}
