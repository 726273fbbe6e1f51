using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Slipway.Databases;

internal static class DatabaseRegistration
{
    /// <summary>Register between the edge and Recovery: databases start before apps are brought back and stop after them.
    /// Reads <see cref="DatabasesOptions"/>, which the host registers (and validates).</summary>
    public static IServiceCollection AddDatabases(this IServiceCollection services)
    {
        services.AddSingleton<DatabaseStore>();
        // The databases' secrets in the store's key rotation transaction (State never names Databases' tables).
        services.AddSingleton<State.ISealedRows, DatabaseSecretRows>();
        // The database servers outlive a platform stop unless the apps were stopped for good (`slipway down`).
        services.AddSingleton<ServerShutdown>();
        services.AddSingleton<PostgresCluster>();
        services.AddSingleton<Config.ISealedFile>(sp => sp.GetRequiredService<PostgresCluster>());
        services.AddSingleton<RedisServers>();
        services.AddSingleton<DatabaseProvisioner>();
        services.AddSingleton<EnvironmentResources>();
        services.AddSingleton<Deploy.IEnvironmentResources>(sp => sp.GetRequiredService<EnvironmentResources>());
        services.AddSingleton(sp => new LocalBackupStorage(Path.Combine(sp.GetRequiredService<DatabasesOptions>().DataDir, "backups", "files")));
        // Replaced by Offsite's, which copies off the machine once a store is added.
        services.TryAddSingleton<IBackupStorage>(sp => sp.GetRequiredService<LocalBackupStorage>());
        services.AddSingleton<DatabaseLocks>();
        services.AddSingleton<BackupVerifier>();
        services.AddSingleton<DatabaseBackup>();
        services.AddSingleton<DatabaseRestore>();
        services.AddSingleton<Branching>();
        services.AddSingleton<BackupScheduler>();
        services.AddSingleton<DatabaseMetrics>();
        services.AddSingleton<WalArchiveWatch>();
        services.AddSingleton<LiveReplacement>();
        services.AddSingleton<PointInTimeRecovery>();
        services.AddHostedService(sp => sp.GetRequiredService<PostgresCluster>());
        services.AddHostedService(sp => sp.GetRequiredService<RedisServers>());
        services.AddHostedService(sp => sp.GetRequiredService<BackupScheduler>());
        services.AddHostedService(sp => sp.GetRequiredService<PointInTimeRecovery>());
        // Finishes replacements a platform stop cut short (the app's role shut out, an old database kept): see its journal.
        services.AddHostedService(sp => sp.GetRequiredService<LiveReplacement>());
        return services;
    }
}
