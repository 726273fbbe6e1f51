using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Slipway.Offsite;

internal static class OffsiteRegistration
{
    /// <summary>Off-site copies: the stores, the backup key, the backup storage that copies to the store (in place of the
    /// local one Databases registers), the shipper (WAL, base backups, the platform's state), the weekly verify, the end
    /// of a restore-platform at the first start, and the "offsite" alert.</summary>
    public static IServiceCollection AddOffsite(this IServiceCollection services, string dataDir)
    {
        services.AddSingleton(new BackupKeyring(dataDir));
        services.AddSingleton<OffsiteStorages>();
        services.AddSingleton<State.ISealedRows, OffsiteRows>();
        services.AddSingleton<OffsiteHealth>();
        services.AddSingleton<OffsiteBackupStorage>();
        services.Replace(ServiceDescriptor.Singleton<Databases.IBackupStorage>(sp => sp.GetRequiredService<OffsiteBackupStorage>()));
        services.AddSingleton<OffsiteOptions>();
        services.AddSingleton<ShippedObjects>();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<PlatformBackup>(sp, dataDir));
        services.AddSingleton<Databases.IArchiveHold, OffsiteArchiveHold>();
        services.AddSingleton<OffsitePruner>();
        services.AddSingleton<OffsiteShipper>();
        services.AddHostedService(sp => sp.GetRequiredService<OffsiteShipper>());
        services.AddSingleton<StorageVerifier>();
        services.AddHostedService(sp => sp.GetRequiredService<StorageVerifier>());
        services.AddSingleton<StoreRecovery>();
        services.AddSingleton<RestoredPlatform>();
        services.AddHostedService(sp => sp.GetRequiredService<RestoredPlatform>());
        services.AddSingleton<Monitoring.Alerts.IAlertSource, OffsiteAlertSource>();
        return services;
    }
}
