namespace Slipway;

/// <summary>DATA/restore-pending.json: `slipway restore-platform` brought the platform's state back and its first starts
/// are restoring the databases and deploying the apps (Offsite.RestoredPlatform). Meanwhile nothing that would read or
/// copy a half-restored database runs: scheduled backups, base backups, off-site copies and their verification wait.</summary>
internal static class RestoreMark
{
    public const string FileName = "restore-pending.json";

    public static string PathIn(string dataDir) => System.IO.Path.Combine(dataDir, FileName);

    public static bool IsPending(string dataDir) => File.Exists(PathIn(dataDir));
}
