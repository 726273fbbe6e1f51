using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Slipway.Offsite;

internal static class OffsiteRegistration
{
    /// <summary>Off-site copies: the stores, the backup key, and the backup storage that copies to the store (in place
    /// of the local one Databases registers).</summary>
    public static IServiceCollection AddOffsite(this IServiceCollection services, string dataDir)
    {
        services.AddSingleton(new BackupKeyring(dataDir));
        services.AddSingleton<OffsiteStorages>();
        services.AddSingleton<State.ISealedRows, OffsiteRows>();
        services.Replace(ServiceDescriptor.Singleton<Databases.IBackupStorage, OffsiteBackupStorage>());
        return services;
    }
}
