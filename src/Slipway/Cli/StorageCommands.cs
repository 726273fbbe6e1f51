using System.CommandLine;
using Slipway.Api;

namespace Slipway.Cli;

/// <summary>slipway storage add | keys | ls | rm | sync | verify: S3-compatible stores backups are copied to, sealed with the backup key
/// (`slipway keys export-backup-key` prints it, for safekeeping off the machine).</summary>
internal static class StorageCommands
{
    public static Command Create(CliContext cli)
    {
        var storage = new Command("storage", "Off-site stores (any S3-compatible bucket) that backups are copied to, encrypted: one platform-wide, " +
            "and one per database where a database's backups must go elsewhere");
        storage.Subcommands.Add(Add(cli));
        storage.Subcommands.Add(Keys(cli));
        storage.Subcommands.Add(List(cli));
        storage.Subcommands.Add(Remove(cli));
        storage.Subcommands.Add(Sync(cli));
        storage.Subcommands.Add(Verify(cli));
        return storage;
    }

    private static Command Sync(CliContext cli)
    {
        var command = new Command("sync", "Copy to the store now what is not there yet (WAL segments, base backups) and a snapshot of the platform's state " +
            "(done by itself every 15 s, and daily for the snapshot)") { CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var sync = await api.PostAsync<SyncDto>("v1/storage/sync", null, token);
            cli.Print(parse, sync, s =>
            {
                cli.Out.WriteLine(s.Storage is null
                    ? $"Copied to the databases' own stores, sealed and read back: {s.DatabaseBackups} database backup(s) not there yet. There is no platform-wide " +
                      "store, so no WAL, base backups or platform snapshots leave this machine: add one (slipway storage add NAME ...) so it can be rebuilt."
                    : $"Copied to store {s.Storage}, sealed and read back: {s.WalSegments} WAL segment(s), {s.BaseBackups} base backup(s), {s.DatabaseBackups} database backup(s) not there yet, platform snapshot {s.PlatformSnapshot}.");
                foreach (var failing in s.Failing)
                {
                    cli.Err.WriteLine($"Store {failing.Storage} fails since {UtcTime.Format(failing.Since)}: {failing.Reason}. What was not copied stays here and is tried again every round.");
                }
            });
            // A store that fails is not a failed sync of the others, but a script must see it.
            return sync.Failing.Count > 0 ? 1 : 0;
        }));
        return command;
    }

    private static Command Verify(CliContext cli)
    {
        var command = new Command("verify", "Read each database's newest backup back from the store, restore it into scratch and compare row counts " +
            "(done by itself weekly; a failure raises the offsite alert)") { CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var results = await api.PostAsync<List<VerifiedCopyDto>>("v1/storage/verify", null, token);
            cli.Print(parse, results, list =>
            {
                if (list.Count == 0)
                {
                    cli.Out.WriteLine("No database has a verified backup in the store yet: take one (slipway db backup --app APP [--name DB]).");
                    return;
                }
                cli.Table(["app", "db", "store", "backup", "result", "time"], list.Select(v => (IReadOnlyList<string>)
                    [v.App, v.Database, v.Storage, v.BackupId, v.Ok ? "restored, counts match" + (v.Note is { } note ? $" ({note})" : "") : "FAILED: " + v.Problem, $"{v.Milliseconds / 1000.0:0.0} s"]));
            });
            return results.All(v => v.Ok) ? 0 : 1;
        }));
        return command;
    }

    private static Command Add(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "A name for the store, like offsite" };
        var endpoint = new Option<string>("--endpoint") { Description = "The store's URL: https://s3.REGION.amazonaws.com, https://ACCOUNT.r2.cloudflarestorage.com, https://s3.REGION.backblazeb2.com, a MinIO URL...", Required = true };
        var bucket = new Option<string>("--bucket") { Description = "The bucket (it must exist; Slipway does not create buckets)", Required = true };
        var prefix = new Option<string>("--prefix") { Description = "Where in the bucket, like slipway/ (default: the bucket's root)" };
        var region = new Option<string>("--region") { Description = "The bucket's region (default us-east-1; R2 takes auto)" };
        var noLocal = new Option<bool>("--no-local") { Description = "Keep no copy on this machine: a backup's local file goes once the copy in the store was read back and matched" };
        var app = AppOption.Optional("Only the backups of this app's database (--env picks the environment, --name the database): a store of its own for one " +
            "database, while WAL, base backups, the platform's state and the other databases go to the platform-wide store");
        var database = new Option<string>("--name") { Description = "With --app: the database (default main)" };
        var command = new Command("add", "Add a store; backups are copied to it from now on (every backup, or with --app one database's). The access key and " +
            "the secret key are read from standard input, one a line, and kept encrypted")
        {
            name, endpoint, bucket, prefix, region, noLocal, app, database, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var access = cli.In.ReadLine()?.Trim();
            var secret = cli.In.ReadLine()?.Trim();
            if (string.IsNullOrEmpty(access) || string.IsNullOrEmpty(secret))
            {
                throw new UserException("Give the access key and the secret key on standard input, one a line: printf '%s\\n%s\\n' \"$KEY_ID\" \"$SECRET\" | slipway storage add ...");
            }
            using var api = cli.Api(parse);
            var added = await api.PostAsync<StorageDto>("v1/storage", new StorageBody(parse.GetValue(name), parse.GetValue(endpoint), parse.GetValue(bucket),
                parse.GetValue(prefix), parse.GetValue(region), access, secret, !parse.GetValue(noLocal), parse.GetValue(app), parse.GetValue(CliContext.Environment),
                parse.GetValue(database)), token);
            // What a database's own store does not take goes to the platform-wide store, if there is one: said either way.
            var platformWide = added.Scope is not null && !parse.GetValue(CliContext.JsonOutput)
                ? (await api.GetAsync<List<StorageDto>>("v1/storage", token)).FirstOrDefault(s => s.Default) : null;
            cli.Print(parse, added, s =>
            {
                var copy = $"encrypted{(s.KeepLocal ? "; a copy stays on this machine" : ", and none stays on this machine")}";
                cli.Out.WriteLine($"Store {s.Name} works (a probe object was written, read back and deleted): bucket {s.Bucket}{(s.Prefix.Length > 0 ? "/" + s.Prefix : "")} at {s.Endpoint}.");
                cli.Out.WriteLine(s.Scope is not null ? $"The backups of {s.ScopeShown} are copied there from now on, {copy}."
                    : s.Default ? $"Database backups are copied there from now on, {copy}."
                    : "Another store takes the backups; this one is kept for later.");
                if (s.Scope is not null && platformWide is not null)
                {
                    cli.Out.WriteLine($"WAL, base backups, the platform's state and the other databases go to the platform-wide store {platformWide.Name} (this " +
                        "database's data travels there too, in the WAL and base backups, under the same backup key).");
                }
                else if (s.Scope is not null)
                {
                    cli.Err.WriteLine(NoPlatformWideStore);
                }
                cli.Out.WriteLine("Keep the backup key off this machine, or a lost machine loses them: slipway keys export-backup-key");
            });
            return 0;
        }));
        return command;
    }

    /// <summary>Said whenever only databases' own stores are left: they take those databases' backups and nothing else.</summary>
    private const string NoPlatformWideStore = "There is no platform-wide store: WAL, base backups and the platform's state do not leave this machine, " +
        "and restore-platform needs a platform-wide store to rebuild it. Add one: printf '%s\\n%s\\n' \"$KEY_ID\" \"$SECRET\" | slipway storage add offsite --endpoint URL --bucket B";

    private static Command Keys(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "The store whose keys to replace" };
        var command = new Command("keys", "Replace a store's access key and secret key (revoked ones, or those of the machine a restored platform was rebuilt " +
            "from): read from standard input, one a line, tried on the bucket before they are kept; what the store holds stays as it is")
        {
            name, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var access = cli.In.ReadLine()?.Trim();
            var secret = cli.In.ReadLine()?.Trim();
            if (string.IsNullOrEmpty(access) || string.IsNullOrEmpty(secret))
            {
                throw new UserException($"Give the new access key and secret key on standard input, one a line: printf '%s\\n%s\\n' \"$KEY_ID\" \"$SECRET\" | slipway storage keys {parse.GetValue(name)}");
            }
            using var api = cli.Api(parse);
            var store = await api.SendAsync<StorageDto>(HttpMethod.Put, $"v1/storage/{Uri.EscapeDataString(parse.GetValue(name)!)}/keys", new StorageKeysBody(access, secret), token);
            cli.Print(parse, store, s =>
            {
                cli.Out.WriteLine($"Store {s.Name} ({s.ScopeShown}) takes the new keys: they work (a probe object was written, read back and deleted) and are kept " +
                    "encrypted; the old ones are no longer used, so they can be revoked.");
                cli.Out.WriteLine("What waits here for this store is copied at the next round ('slipway storage sync' does it now); what it holds stays as it was.");
            });
            return 0;
        }));
        return command;
    }

    private static Command List(CliContext cli)
    {
        var command = new Command("ls", "The stores, where they are, whose backups each takes, and whether it is in use (never their keys)") { CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<StorageDto>(parse, "v1/storage",
            "No off-site stores: backups stay on this machine. Add one: printf '%s\\n%s\\n' KEY SECRET | slipway storage add offsite --endpoint URL --bucket B",
            list => cli.Table(["name", "scope", "endpoint", "bucket", "prefix", "region", "local copy", "in use"],
                list.Select(s => (IReadOnlyList<string>)[s.Name, s.ScopeShown, s.Endpoint, s.Bucket,
                    s.Prefix.Length > 0 ? s.Prefix : "-", s.Region, s.KeepLocal ? "kept" : "none", s.Default || s.Scope is not null ? "yes" : "no"])), token)));
        return command;
    }

    private static Command Remove(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "The store to forget (what it holds stays in the bucket)" };
        var force = new Option<bool>("--force") { Description = "Remove it even when it holds the only copy of some backups (taken with --no-local)" };
        var command = new Command("rm", "Stop copying to a store; the objects already in it are left there") { name, force, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var removed = await api.DeleteAsync<StorageRemovedDto>($"v1/storage/{Uri.EscapeDataString(parse.GetValue(name)!)}{(parse.GetValue(force) ? "?force=true" : "")}", token);
            cli.Print(parse, removed, r =>
            {
                cli.Out.WriteLine($"Removed store {r.Name} (what it holds stays in the bucket): " + (r.Scope is not null
                    ? $"the backups of {r.ScopeShown} go to {(r.Successor is { } next ? "store " + next : "this machine only")} from now on."
                    : r.Successor is { } successor
                        ? $"store {successor} is the platform-wide store now (WAL, base backups, the platform's state and the databases without a store of their own)."
                    : r.DatabaseStores > 0 ? "only the databases with a store of their own are copied off this machine now."
                    : "nothing is copied off this machine now."));
                if (r.Successor is null && r.DatabaseStores > 0)
                {
                    cli.Err.WriteLine(NoPlatformWideStore);
                }
            });
            return 0;
        }));
        return command;
    }
}
