using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Slipway.Offsite;

namespace Slipway.Api;

/// <summary>/v1/storage: the off-site stores backups are copied to (`slipway storage add|keys|ls|rm|sync|verify`), and
/// /v1/keys/backup, the backup key that opens what leaves the machine (`slipway keys export-backup-key`). Owners only.</summary>
internal static partial class OffsiteEndpoints
{
    public static void MapOffsiteApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/storage", (OffsiteStorages storages, Databases.DatabaseStore databases) =>
        {
            var platformWide = storages.Default()?.Name;
            return storages.List().Select(s => StorageDto.Of(s, s.Name == platformWide, Shown(s, databases))).ToList();
        }).RequireAccess(Access.Permission.ManagePlatform, "storage.list");
        api.MapPost("/v1/storage", async (StorageBody body, OffsiteStorages storages, State.Store store, Databases.DatabaseStore databases, HttpContext context) =>
        {
            var storage = Validate(body) with { Scope = ScopeOf(body, store, databases) };
            var shown = Shown(storage, databases);
            var stores = storages.List();
            if (stores.Any(s => s.Name == storage.Name))
            {
                throw OffsiteStorages.NameTaken(storage.Name);
            }
            if (storage.Scope is not null && stores.FirstOrDefault(s => s.Scope == storage.Scope) is { } taken)
            {
                throw OffsiteStorages.ScopeTaken(taken.Name, shown);
            }
            // Checked before it is kept: a wrong key or a missing bucket is said now, not at the first backup.
            using (var bucket = new S3Bucket(new S3Settings(storage.Endpoint, storage.Bucket, storage.Prefix, storage.Region, body.AccessKey!, body.SecretKey!)))
            {
                await bucket.ProbeAsync(context.RequestAborted);
            }
            storages.Add(storage, body.AccessKey!, body.SecretKey!, shown);
            AccessControl.AuditDetail(context, $"{storage.Name} ({shown}): bucket {storage.Bucket} at {storage.Endpoint}");
            return Results.Json(StorageDto.Of(storage, storages.Default()?.Name == storage.Name, shown), statusCode: 201);
        }).RequireAccess(Access.Permission.ManagePlatform, "storage.add");
        api.MapPut("/v1/storage/{name}/keys", async (string name, StorageKeysBody body, OffsiteStorages storages, Databases.DatabaseStore databases, HttpContext context) =>
        {
            var storage = storages.List().FirstOrDefault(s => s.Name == name) ?? throw NoSuchStore(name);
            var (access, secret) = (body.AccessKey?.Trim(), body.SecretKey?.Trim());
            if (string.IsNullOrEmpty(access) || string.IsNullOrEmpty(secret))
            {
                throw new UserException($"Give the new access key and secret key on standard input, one a line: printf '%s\\n%s\\n' \"$KEY_ID\" \"$SECRET\" | slipway storage keys {name}");
            }
            var shown = Shown(storage, databases);
            // Tried before they are kept: keys that do not work would stop every copy, and the ones replaced may be revoked.
            try
            {
                using var bucket = new S3Bucket(new S3Settings(storage.Endpoint, storage.Bucket, storage.Prefix, storage.Region, access, secret));
                await bucket.ProbeAsync(context.RequestAborted);
            }
            catch (UserException e)
            {
                throw new UserException($"The new keys do not work: {e.Message}. Store {name} keeps the keys it had.", e.StatusCode);
            }
            if (!storages.ReplaceKeys(name, access, secret))
            {
                throw NoSuchStore(name);
            }
            AccessControl.AuditDetail(context, $"{name} ({shown}): new keys for bucket {storage.Bucket} at {storage.Endpoint}");
            return StorageDto.Of(storage, storages.Default()?.Name == name, shown);
        }).RequireAccess(Access.Permission.ManagePlatform, "storage.keys");
        api.MapDelete("/v1/storage/{name}", async (string name, bool? force, OffsiteStorages storages, OffsiteBackupStorage backups,
            Databases.DatabaseStore databases, HttpContext context) =>
        {
            var stores = storages.List();
            var storage = stores.FirstOrDefault(s => s.Name == name) ?? throw NoSuchStore(name);
            var left = stores.Where(s => s.Name != name).ToList();
            List<OnlyCopy> only = [];
            // Decided and done while no copy to it is under way: one finishing in between could leave an only copy here.
            await backups.RemoveStoreAsync(name, () =>
            {
                only = OnlyCopies(name, backups, databases);
                if (only.Count > 0 && force != true)
                {
                    throw new UserException(Refusal(name, only, left), 409);
                }
            }, context.RequestAborted);
            var shown = Shown(storage, databases);
            AccessControl.AuditDetail(context, $"{name} ({shown}){(only.Count > 0 ? $", the only copy of {only.Sum(o => o.Count)} backup(s)" : "")}");
            return new StorageRemovedDto(name, storage.Scope, shown, OffsiteStorages.Choose(left, storage.Scope)?.Name, left.Count(s => s.Scope is not null));
        }).RequireAccess(Access.Permission.ManagePlatform, "storage.remove");
        api.MapPost("/v1/storage/sync", async (OffsiteShipper shipper, HttpContext context) =>
        {
            var report = await shipper.RunAsync(platformNow: true, context.RequestAborted);
            return new SyncDto(report.Storage, report.WalSegments, report.BaseBackups, report.DatabaseBackups, report.PlatformSnapshot,
                report.Failing.Select(f => new FailingStoreDto(f.Storage, f.Reason, f.Since)).ToList());
        }).RequireAccess(Access.Permission.ManagePlatform, "storage.sync");
        api.MapPost("/v1/storage/verify", async (StorageVerifier verifier, HttpContext context) =>
            (await verifier.VerifyAsync(context.RequestAborted)).Select(v => new VerifiedCopyDto(v.App, v.Database, v.BackupId, v.Ok, v.Problem, v.Milliseconds, v.Storage, v.Note)).ToList())
            .RequireAccess(Access.Permission.ManagePlatform, "storage.verify");
        api.MapGet("/v1/keys/backup", (BackupKeyring keys) => new BackupKeyDto(keys.Current.Id, keys.Current.Export()))
            .RequireAccess(Access.Permission.ManagePlatform, "keys.export-backup-key");
    }

    private static UserException NoSuchStore(string name) => new($"There is no store named {name}. 'slipway storage ls' lists them.", 404);

    /// <summary>"platform-wide", or the database a store takes: "shop (staging) db main".</summary>
    private static string Shown(OffsiteStorage storage, Databases.DatabaseStore databases) =>
        storage.Scope is { } scope ? OffsiteStorages.Shown(scope, AppOf(scope, databases)) : storage.ScopeShown;

    /// <summary>The environment of the database of <paramref name="scope"/>; null when it is gone.</summary>
    private static AppRef? AppOf(string scope, Databases.DatabaseStore databases)
    {
        var (row, database) = OffsiteStorages.PartsOf(scope);
        return databases.Find(row, database) is { } d ? new AppRef(d.BaseApp, d.Env) : null;
    }

    /// <summary>A database whose verified backups have their only copy in a store, and how many.</summary>
    private sealed record OnlyCopy(string Scope, AppRef? App, int Count);

    private static List<OnlyCopy> OnlyCopies(string name, OffsiteBackupStorage backups, Databases.DatabaseStore databases) =>
        databases.ListVerifiedBackups().Where(b => b.Location is not null).GroupBy(b => OffsiteStorages.ScopeOfKey(b.Location!))
            .Where(g => g.Key is not null)
            .Select(g => new OnlyCopy(g.Key!, AppOf(g.Key!, databases), backups.OnlyIn(name, g)))
            .Where(o => o.Count > 0).OrderBy(o => o.Scope, StringComparer.Ordinal).ToList();

    /// <summary>Why store <paramref name="name"/> is kept: the databases whose only copies it holds, and the way on (remove it
    /// anyway, then back each up again: that backup goes to the store left for it, or stays here).</summary>
    private static string Refusal(string name, List<OnlyCopy> only, List<OffsiteStorage> left)
    {
        var whose = string.Join(", ", only.Select(o => $"{o.Count} of {OffsiteStorages.Shown(o.Scope, o.App)}"));
        var again = only.Where(o => o.App is not null).Select(o =>
        {
            var to = OffsiteStorages.Choose(left, o.Scope) is { } next ? $"it goes to store {next.Name}" : "it stays on this machine only: no other store takes it";
            return $"slipway db backup {o.App!.Value.Flags} --name {OffsiteStorages.PartsOf(o.Scope).Database} ({to})";
        }).ToList();
        return $"Store {name} holds the only copy of {only.Sum(o => o.Count)} backup(s) ({whose}; taken with --no-local, or on a machine since rebuilt " +
            "from it): without it they cannot be restored through Slipway. Keep it, or remove it anyway with " +
            $"'slipway storage rm {name} --force' (the objects stay in the bucket)" +
            (again.Count > 0 ? " and then take a new backup, so that one can be restored: " + string.Join("; ", again) + "." : ".");
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
/// <param name="ScopeShown">"platform-wide", or the database it takes, for people: "shop (staging) db main".</param>
internal sealed record StorageDto(string Name, string Endpoint, string Bucket, string Prefix, string Region, bool KeepLocal, bool Default, DateTimeOffset CreatedAt,
    string? Scope, string ScopeShown)
{
    public static StorageDto Of(OffsiteStorage s, bool isDefault, string shown) =>
        new(s.Name, s.Endpoint, s.Bucket, s.Prefix, s.Region, s.KeepLocal, isDefault, s.CreatedAt, s.Scope, shown);
}

/// <summary>`storage keys NAME`: the store's new keys, read from standard input (never a flag: not in ps or history).</summary>
internal sealed record StorageKeysBody(string? AccessKey, string? SecretKey);

/// <summary>What `storage rm` removed, and where what it took goes now.</summary>
/// <param name="Successor">The store that now takes what it took (for a database's store: that database's backups; for a
/// platform-wide one: WAL, base backups, the platform's state and the databases without a store of their own); null when
/// none does, so they stay on this machine.</param>
/// <param name="DatabaseStores">How many databases' own stores are left.</param>
internal sealed record StorageRemovedDto(string Name, string? Scope, string ScopeShown, string? Successor, int DatabaseStores);

internal sealed record BackupKeyDto(string KeyId, string Key);

/// <summary>What `storage sync` copied: new WAL segments, base backups, and the platform snapshot taken.</summary>
/// <param name="Storage">The platform-wide store; null when only databases' own stores exist (they take no WAL, base
/// backups or snapshots).</param>
/// <param name="Failing">Stores whose copies fail after the sync (a database's own store failing does not fail it).</param>
internal sealed record SyncDto(string? Storage, int WalSegments, int BaseBackups, int DatabaseBackups, string? PlatformSnapshot, IReadOnlyList<FailingStoreDto> Failing);

/// <summary>A store whose copies fail: since when, and the first reason.</summary>
internal sealed record FailingStoreDto(string Storage, string Reason, DateTimeOffset Since);

/// <summary>One database's newest off-site backup, read back and restored by `storage verify`.</summary>
/// <param name="Note">Where the copy was found when that is not the database's own store.</param>
internal sealed record VerifiedCopyDto(string App, string Database, string BackupId, bool Ok, string? Problem, long Milliseconds, string Storage, string? Note = null);
