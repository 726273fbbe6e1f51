namespace Slipway.Offsite;

/// <summary>How often things go to the off-site store.</summary>
internal sealed class OffsiteOptions
{
    /// <summary>How often each of the shipper's lanes looks for work: new WAL segments in one (a segment is in the store
    /// within about this), base backups, pending database backups and the platform's state in the other.</summary>
    public TimeSpan ShipTick { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the platform's own state is copied.</summary>
    public TimeSpan PlatformInterval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often the store is pruned.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often `storage verify` runs by itself.</summary>
    public TimeSpan VerifyInterval { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Platform snapshots kept in the store.</summary>
    public int KeepPlatformSnapshots { get; set; } = 14;
}
