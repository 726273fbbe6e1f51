using System.CommandLine;
using Slipway.Offsite;

namespace Slipway.Cli;

/// <summary>slipway restore-platform: a new machine from the off-site store, after the old one was lost. Runs with no
/// platform running, into an empty data directory; the platform's first start then restores the databases and deploys
/// the apps again (Offsite.RestoredPlatform).</summary>
internal static class RestorePlatformCommand
{
    public static Command Create(CliContext cli)
    {
        var endpoint = new Option<string>("--endpoint") { Description = "The store's URL, as 'slipway storage add' was given it", Required = true };
        var bucket = new Option<string>("--bucket") { Description = "The bucket", Required = true };
        var prefix = new Option<string>("--prefix") { Description = "The prefix in the bucket (as given to storage add)" };
        var region = new Option<string>("--region") { Description = "The bucket's region (default us-east-1)" };
        var at = new Option<string>("--at") { Description = "Recover the databases as they were at this moment (ISO 8601, UTC), from the store's WAL, and the " +
            "apps and config from the newest snapshot taken before it; default: as late as the store reaches" };
        var snapshot = new Option<string>("--snapshot") { Description = "The platform snapshot to restore (a STAMP under platform/ in the bucket); default: the newest" };
        var databasesDir = new Option<string>("--databases-dir") { Description = "Where the restored platform's databases go, as 'slipway server --databases-dir' " +
            "will be given it (default DATA/databases; as root /var/lib/slipway/databases-ID): it must be empty" };
        var command = new Command("restore-platform", "Rebuild this machine's platform from an off-site store: apps, environments, config, domains, " +
            "certificates, databases (from the store's base backup and WAL to within minutes of the loss, else from their newest verified backups) " +
            "and each app's live release. Reads the access key, the secret key and the backup key ('slipway keys export-backup-key' printed it) " +
            "from standard input, one a line")
        {
            endpoint, bucket, prefix, region, at, snapshot, databasesDir,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var access = cli.In.ReadLine()?.Trim();
            var secret = cli.In.ReadLine()?.Trim();
            var backupKey = cli.In.ReadLine()?.Trim();
            if (string.IsNullOrEmpty(access) || string.IsNullOrEmpty(secret) || string.IsNullOrEmpty(backupKey))
            {
                throw new UserException("Give the access key, the secret key and the backup key on standard input, one a line: " +
                    "printf '%s\\n%s\\n%s\\n' \"$KEY_ID\" \"$SECRET\" \"$BACKUP_KEY\" | slipway restore-platform --endpoint URL --bucket B");
            }
            var key = BackupKey.Parse(backupKey);
            DateTimeOffset? moment = null;
            if (parse.GetValue(at) is { } text)
            {
                moment = UtcTime.TryParse(text, out var parsed) ? parsed
                    : throw new UserException($"--at '{text}' is not a moment: give one like 2026-12-05T14:30:00Z.");
            }
            var prefixValue = (parse.GetValue(prefix) ?? "").TrimStart('/');
            if (prefixValue.Length > 0 && !prefixValue.EndsWith('/'))
            {
                prefixValue += "/";
            }
            var dataDir = CliContext.DataDir(parse);
            var databases = parse.GetValue(databasesDir) is { } given ? Path.GetFullPath(given) : new Databases.DatabasesOptions { DataDir = dataDir }.EffectiveDatabasesDir;
            PlatformRestore.RequireEmpty(dataDir, databases);
            // Held while it runs: no platform starts on a half-restored directory.
            using var held = Hosting.DataDirectory.Acquire(dataDir);
            var manifest = await PlatformRestore.RunAsync(dataDir, databases,
                new S3Settings(parse.GetValue(endpoint)!, parse.GetValue(bucket)!, prefixValue, parse.GetValue(region) ?? "us-east-1", access, secret), key,
                parse.GetValue(snapshot), moment,
                step => cli.Err.WriteLine("restore-platform: " + step), token);
            cli.Out.WriteLine($"Restored the platform's state from snapshot {manifest.Stamp} (taken {UtcTime.Format(manifest.TakenAt)} by Slipway {manifest.SlipwayVersion}) into {dataDir}.");
            cli.Out.WriteLine("Start the platform now (your systemd unit, 'slipway install', or 'slipway server'): at its first start it recovers the databases " +
                "from the store's base backup and shipped WAL (each from its newest verified backup when there is none) and deploys each app's live " +
                "release again from its kept source. 'slipway events' follows it.");
            return 0;
        }));
        return command;
    }
}
