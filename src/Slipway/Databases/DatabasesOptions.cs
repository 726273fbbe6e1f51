using System.Security.Cryptography;
using System.Text;

namespace Slipway.Databases;

/// <summary>Host settings of the managed databases and their backups (from `slipway server`'s flags; Hosting
/// maps and validates them).</summary>
internal sealed class DatabasesOptions
{
    /// <summary>The platform's data directory: backups live under DATA/backups.</summary>
    public string DataDir { get; set; } = "";

    /// <summary>Where the managed PostgreSQL cluster and redis servers keep their data; null: the default
    /// (<see cref="EffectiveDatabasesDir"/>).</summary>
    public string? DatabasesDir { get; set; }

    /// <summary>How often the backup scheduler looks for due backups.</summary>
    public TimeSpan BackupTick { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Point-in-time recovery of the managed cluster: how far back (WAL and base backups are kept that
    /// long), and how often a base backup is taken.</summary>
    public TimeSpan PitrWindow { get; set; } = TimeSpan.FromDays(7);
    public TimeSpan BaseBackupInterval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>DATA/databases, or when Slipway runs as root (the databases run as an unprivileged user, who
    /// cannot enter the private data directory) /var/lib/slipway/databases-ID, one per data directory.</summary>
    public string EffectiveDatabasesDir => DatabasesDir ?? (ClusterUser.IsRoot
        ? Path.Combine("/var/lib/slipway", "databases-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(DataDir)))[..12])
        : Path.Combine(DataDir, "databases"));
}
