namespace Slipway.Databases;

/// <summary>A seam for whoever copies the point-in-time archive off the machine (Offsite registers one): base backups and
/// WAL segments it has not copied yet are kept by the local pruning, for at most <see cref="MaxHold"/> past their time
/// (then they go anyway, and the gap is said as a "database.archive-unshipped" event).</summary>
internal interface IArchiveHold
{
    /// <summary>Which of <paramref name="paths"/> (WAL segment files, base backup directories) are not copied yet.</summary>
    IReadOnlySet<string> Unshipped(IReadOnlyList<string> paths);

    public static readonly TimeSpan MaxHold = TimeSpan.FromDays(7);
}
