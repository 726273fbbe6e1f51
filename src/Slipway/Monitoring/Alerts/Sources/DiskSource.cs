using Slipway.Databases;

namespace Slipway.Monitoring.Alerts.Sources;

/// <summary>"disk" (platform-wide): the filesystem of the data directory (builds, logs, state, backups) has less than
/// Over percent free (default 10), and so does the managed databases' directory when it is on another filesystem
/// (as root it is under /var/lib/slipway). Subjects "disk:data" and "disk:databases"; resolved when space is back
/// over the threshold. A statvfs per filesystem, no I/O beyond it.</summary>
internal sealed class DiskSource(DatabasesOptions options) : IAlertSource
{
    public const string Disk = "disk";

    public static readonly AlertRuleDefinition Definition = new(Disk,
        "The filesystem of the data directory (or of the databases) has under 10% free; critical",
        new AlertRuleSettings(Over: 10, Severity: AlertSeverity.Critical), ThresholdUnit.Percent, PerApp: false);

    public IReadOnlyList<AlertRuleDefinition> Rules { get; } = [Definition];

    public IEnumerable<AlertSignal> Evaluate(AlertContext context, CancellationToken cancellationToken)
    {
        if (!context.IsOn(Disk, null))
        {
            yield break;
        }
        var settings = context.Settings(Disk, null);
        var threshold = settings.Over ?? 10;
        var places = new List<(string Subject, string What, string Path)> { ("disk:data", "the data directory", options.DataDir) };
        var databases = options.EffectiveDatabasesDir;
        if (Directory.Exists(databases) && MountPoint(databases) != MountPoint(options.DataDir))
        {
            places.Add(("disk:databases", "the databases", databases));
        }
        foreach (var (subject, what, path) in places)
        {
            if (DiskSpace.Of(path) is not { } space || space.FreePercent >= threshold)
            {
                continue;
            }
            yield return new AlertSignal(Disk, subject, null, settings.Severity ?? AlertSeverity.Critical,
                $"{AlertText.Platform}: disk of {what} {AlertText.Number(space.FreePercent)}% free (threshold {AlertText.Number(threshold)}%)",
                $"{Gb(space.FreeBytes)} free of {Gb(space.SizeBytes)} on the filesystem of {path}. " +
                (subject == "disk:data"
                    ? "Builds, logs, the state and backups live there; a full disk fails deploys, backups and log writes. " +
                      "Old builds go beyond --keep-builds, each app's logs beyond 64 MB; see what else fills it (du -sh DIR/*) or grow the filesystem"
                    : "PostgreSQL and redis stop writing when it is full. See which database grows (slipway db ls) or grow the filesystem"));
        }
    }

    private static string Gb(long bytes) => AlertText.Number(bytes / 1e9) + " GB";

    /// <summary>The mount point that holds <paramref name="path"/> (the longest one that is a prefix of it), so two
    /// directories on one filesystem are checked once.</summary>
    private static string MountPoint(string path)
    {
        try
        {
            var full = (RealPaths.Resolve(path) ?? Path.GetFullPath(path)).TrimEnd('/') + "/";
            return DriveInfo.GetDrives().Select(d => d.Name.TrimEnd('/') + "/")
                .Where(m => full.StartsWith(m, StringComparison.Ordinal))
                .MaxBy(m => m.Length) ?? "/";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return path;
        }
    }
}
