using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Slipway.Offsite;

namespace Slipway.Api;

/// <summary>/v1/storage: the off-site stores backups are copied to (`slipway storage add|ls|rm`), and /v1/keys/backup,
/// the backup key that opens what leaves the machine (`slipway keys export-backup-key`). Owners only.</summary>
internal static partial class OffsiteEndpoints
{
    public static void MapOffsiteApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/storage", (OffsiteStorages storages) =>
        {
            var platformWide = storages.Default()?.Name;
            return storages.List().Select(s => StorageDto.Of(s, s.Name == platformWide)).ToList();
        }).RequireAccess(Access.Permission.ManagePlatform, "storage.list");
        api.MapPost("/v1/storage", async (StorageBody body, OffsiteStorages storages, State.Store store, Databases.DatabaseStore databases, HttpContext context) =>
        {
            var storage = Validate(body) with { Scope = ScopeOf(body, store, databases) };
            var stores = storages.List();
            if (stores.Any(s => s.Name == storage.Name))
            {
                throw new UserException($"There is a store named {storage.Name} already; remove it first (slipway storage rm {storage.Name}) or pick another name.", 409);
            }
            if (storage.Scope is not null && stores.FirstOrDefault(s => s.Scope == storage.Scope) is { } taken)
            {
                throw OffsiteStorages.ScopeTaken(taken.Name, storage.Scope);
            }
            // Checked before it is kept: a wrong key or a missing bucket is said now, not at the first backup.
            using (var bucket = new S3Bucket(new S3Settings(storage.Endpoint, storage.Bucket, storage.Prefix, storage.Region, body.AccessKey!, body.SecretKey!)))
            {
                await bucket.ProbeAsync(context.RequestAborted);
            }
            storages.Add(storage, body.AccessKey!, body.SecretKey!);
            AccessControl.AuditDetail(context, $"{storage.Name} ({storage.ScopeShown}): bucket {storage.Bucket} at {storage.Endpoint}");
            return Results.Json(StorageDto.Of(storage, storages.Default()?.Name == storage.Name), statusCode: 201);
        }).RequireAccess(Access.Permission.ManagePlatform, "storage.add");
        api.MapDelete("/v1/storage/{name}", async (string name, bool? force, OffsiteStorages storages, OffsiteBackupStorage backups,
            Databases.DatabaseStore databases, HttpContext context) =>
        {
            if (storages.List().All(s => s.Name != name))
            {
                throw new UserException($"There is no store named {name}. 'slipway storage ls' lists them.", 404);
            }
            // Decided and done while no copy to it is under way: one finishing in between could leave an only copy here.
            await backups.RemoveStoreAsync(name, () =>
            {
                var only = backups.OnlyIn(name, databases.ListVerifiedBackups());
                if (only > 0 && force != true)
                {
                    throw new UserException($"Store {name} holds the only copy of {only} backup(s) (taken with --no-local, or on a machine since rebuilt from it): without it they cannot be restored " +
                        $"through Slipway. Keep it, or remove it anyway with 'slipway storage rm {name} --force' (the objects stay in the bucket).", 409);
                }
            }, context.RequestAborted);
            return Results.NoContent();
        }).RequireAccess(Access.Permission.ManagePlatform, "storage.remove");
        api.MapPost("/v1/storage/sync", async (OffsiteShipper shipper, HttpContext context) =>
        {
            var report = await shipper.RunAsync(platformNow: true, context.RequestAborted);
            return new SyncDto(report.Storage, report.WalSegments, report.BaseBackups, report.DatabaseBackups, report.PlatformSnapshot,
                report.Failing.Select(f => new FailingStoreDto(f.Storage, f.Reason, f.Since)).ToList());
        }).RequireAccess(Access.Permission.ManagePlatform, "storage.sync");
        api.MapPost("/v1/storage/verify", async (StorageVerifier verifier, HttpContext context) =>
            (await verifier.VerifyAsync(context.RequestAborted)).Select(v => new VerifiedCopyDto(v.App, v.Database, v.BackupId, v.Ok, v.Problem, v.Milliseconds, v.Storage)).ToList())
            .RequireAccess(Access.Permission.ManagePlatform, "storage.verify");
        api.MapGet("/v1/keys/backup", (BackupKeyring keys) => new BackupKeyDto(keys.Current.Id, keys.Current.Export()))
            .RequireAccess(Access.Permission.ManagePlatform, "keys.export-backup-key");
    }

    private static OffsiteStorage Validate(StorageBody body)
    {
        var problems = new List<string>();
        if (body.Name is null || !Name().IsMatch(body.Name))
        {
            problems.Add($"NAME '{body.Name}': use 1-40 lowercase letters, digits and dashes, like offsite");
        }
        if (!Uri.TryCreate(body.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(endpoint.UserInfo))
        {
            problems.Add($"--endpoint '{body.Endpoint}': give the store's URL, like https://s3.eu-central-1.amazonaws.com or https://ACCOUNT.r2.cloudflarestorage.com (no keys in it)");
        }
        if (body.Bucket is null || !Bucket().IsMatch(body.Bucket))
        {
            problems.Add($"--bucket '{body.Bucket}': a bucket name is 3-63 lowercase letters, digits, dots and dashes");
        }
        var prefix = (body.Prefix ?? "").TrimStart('/');
        if (prefix.Length > 0 && !prefix.EndsWith('/'))
        {
            prefix += "/";
        }
        if (prefix.Contains("..", StringComparison.Ordinal) || prefix.Any(char.IsControl))
        {
            problems.Add($"--prefix '{body.Prefix}': a path inside the bucket, like slipway/");
        }
        if (string.IsNullOrWhiteSpace(body.AccessKey) || string.IsNullOrWhiteSpace(body.SecretKey))
        {
            problems.Add("the access key and the secret key are read from standard input, one a line: printf '%s\\n%s\\n' \"$KEY\" \"$SECRET\" | slipway storage add ...");
        }
        if (problems.Count > 0)
        {
            throw new UserException("The store cannot be added:\n  " + string.Join("\n  ", problems));
        }
        return new OffsiteStorage(body.Name!, body.Endpoint!.TrimEnd('/'), body.Bucket!, prefix, string.IsNullOrWhiteSpace(body.Region) ? "us-east-1" : body.Region.Trim(),
            body.KeepLocal ?? true);
    }

    /// <summary>--app APP [--env ENV] [--name DB]: the scope of a store that takes that database's backups only (its
    /// environment's row and its name, as its backups' keys begin); null for a platform-wide store.</summary>
    private static string? ScopeOf(StorageBody body, State.Store store, Databases.DatabaseStore databases)
    {
        if (body.App is null)
        {
            return body.Env is null && body.Database is null ? null
                : throw new UserException("--env and --name need --app: a store for one database is named by its app (--app shop [--env staging] [--name main]).");
        }
        Deploy.AppNames.Validate(body.App);
        var target = AppRef.Of(body.App, body.Env);
        var row = Deploy.AppErrors.Require(store, target);
        var name = body.Database ?? "main";
        var db = databases.Find(row.Name, name);
        if (db is null || db.Type != Databases.DatabaseRecord.Postgres)
        {
            var postgres = databases.ListFor(row.Name).Where(d => d.Type == Databases.DatabaseRecord.Postgres).Select(d => d.Name).ToList();
            var why = db is not null ? $"db {name} of {target} is a {db.Type} database, which has no backups to store"
                : $"{target} has no database {name}";
            throw new UserException(why + (postgres.Count == 0
                ? $"; it has no postgres database at all ('slipway db create {target.Flags}' makes one)."
                : $"; its postgres databases: {string.Join(", ", postgres)} (--name picks one; 'slipway db ls {target.Flags}' lists them)."), 404);
        }
        return OffsiteStorages.ScopeOf(row.Name, db.Name);
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,39}$")]
    private static partial Regex Name();

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex Bucket();
}

/// <param name="App">With <paramref name="Env"/> and <paramref name="Database"/> (default main): a store for that database's
/// backups only; null for a platform-wide store.</param>
internal sealed record StorageBody(string? Name, string? Endpoint, string? Bucket, string? Prefix, string? Region, string? AccessKey, string? SecretKey, bool? KeepLocal,
    string? App = null, string? Env = null, string? Database = null);

/// <summary>A store as `storage ls` prints it: never its keys.</summary>
/// <param name="Default">The platform-wide store in use: WAL, base backups, the platform's state, and the backups of every
/// database without a store of its own go there.</param>
/// <param name="Scope">"ROW/DB" (the environment's row and the database) for a store that takes that database's backups
/// only; null for a platform-wide one.</param>
internal sealed record StorageDto(string Name, string Endpoint, string Bucket, string Prefix, string Region, bool KeepLocal, bool Default, DateTimeOffset CreatedAt,
    string? Scope)
{
    public static StorageDto Of(OffsiteStorage s, bool isDefault) =>
        new(s.Name, s.Endpoint, s.Bucket, s.Prefix, s.Region, s.KeepLocal, isDefault, s.CreatedAt, s.Scope);
}

internal sealed record BackupKeyDto(string KeyId, string Key);

/// <summary>What `storage sync` copied: new WAL segments, base backups, and the platform snapshot taken.</summary>
/// <param name="Storage">The platform-wide store; null when only databases' own stores exist (they take no WAL, base
/// backups or snapshots).</param>
/// <param name="Failing">Stores whose copies fail after the sync (a database's own store failing does not fail it).</param>
internal sealed record SyncDto(string? Storage, int WalSegments, int BaseBackups, int DatabaseBackups, string? PlatformSnapshot, IReadOnlyList<FailingStoreDto> Failing);

/// <summary>A store whose copies fail: since when, and the first reason.</summary>
internal sealed record FailingStoreDto(string Storage, string Reason, DateTimeOffset Since);

/// <summary>One database's newest off-site backup, read back and restored by `storage verify`.</summary>
internal sealed record VerifiedCopyDto(string App, string Database, string BackupId, bool Ok, string? Problem, long Milliseconds, string Storage);
