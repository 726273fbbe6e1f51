using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.Config;
using Slipway.State;

namespace Slipway.Offsite;

/// <summary>The off-site stores in the platform's database (schema step 18), their keys sealed under the master key.
/// A store is platform-wide, or takes one database's backups only (schema step 20: its scope is "ROW/DB", the
/// environment's row and the database's name, which are the first two segments of the database's backup keys). A
/// database's backups go to its own store when it has one, else to the platform-wide store: the first added. WAL, base
/// backups and the platform's snapshots always go to the platform-wide store (restore-platform starts from it). A store
/// is checked (a probe object written, read and deleted) before it is kept, so a wrong key or a missing bucket is said
/// at `storage add`, not at 3 a.m.; so are new keys (`storage keys`), which replace revoked ones without touching what the
/// store holds.</summary>
internal sealed class OffsiteStorages(Store store, Keyring keyring, TimeProvider clock)
{
    private SqliteConnection Open() => store.Connections.Open();

    public IReadOnlyList<OffsiteStorage> List()
    {
        using var c = Open();
        return c.Query<Row>("select name, endpoint, bucket, prefix, region, keep_local, created_at, scope from offsite_storages order by created_at, name")
            .Select(r => r.ToRecord()).ToList();
    }

    /// <summary>The platform-wide store (WAL, base backups, the platform's state, and every database without a store
    /// of its own), if one was added.</summary>
    public OffsiteStorage? Default() => List().FirstOrDefault(s => s.Scope is null);

    /// <summary>The store the backup under <paramref name="backupKey"/> (ROW/DB/ID.dump) goes to: its database's own, else
    /// the platform-wide one.</summary>
    public OffsiteStorage? For(string backupKey) => Choose(List(), ScopeOfKey(backupKey));

    /// <summary>Among <paramref name="stores"/>, the one of <paramref name="scope"/>, else the platform-wide one.</summary>
    public static OffsiteStorage? Choose(IReadOnlyList<OffsiteStorage> stores, string? scope) =>
        (scope is null ? null : stores.FirstOrDefault(s => s.Scope == scope)) ?? stores.FirstOrDefault(s => s.Scope is null);

    /// <summary>The scope of a store that takes database <paramref name="database"/> of the environment whose row is
    /// <paramref name="row"/>.</summary>
    public static string ScopeOf(string row, string database) => $"{row}/{database}";

    /// <summary>The environment's row and the database's name that <paramref name="scope"/> is made of.</summary>
    public static (string Row, string Database) PartsOf(string scope) => (scope[..scope.LastIndexOf('/')], scope[(scope.LastIndexOf('/') + 1)..]);

    /// <summary>How people name the database of <paramref name="scope"/>: "shop (staging) db main", from its record; "db
    /// ROW/DB" when there is none (its app was destroyed).</summary>
    public static string Shown(string scope, AppRef? app) => app is { } a ? $"{a} db {PartsOf(scope).Database}" : "db " + scope;

    /// <summary>The scope a backup key falls under (its first two segments), or null for a key of another shape.</summary>
    public static string? ScopeOfKey(string backupKey) =>
        backupKey.Split('/') is [{ Length: > 0 } row, { Length: > 0 } database, _, ..] ? ScopeOf(row, database) : null;

    /// <param name="shown">How the store's database is named in a refusal ("shop (staging) db main"); its scope when not
    /// given.</param>
    public void Add(OffsiteStorage storage, string accessKey, string secretKey, string? shown = null)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        try
        {
            c.Execute("""
                insert into offsite_storages (name, endpoint, bucket, prefix, region, access_key_enc, secret_key_enc, keep_local, created_at, scope)
                values (@Name, @Endpoint, @Bucket, @Prefix, @Region, @access, @secret, @keep, @at, @Scope)
                """, new
            {
                storage.Name, storage.Endpoint, storage.Bucket, storage.Prefix, storage.Region, access = keyring.Encrypt(accessKey), secret = keyring.Encrypt(secretKey),
                keep = storage.KeepLocal ? 1 : 0, at = UtcTime.Format(clock.GetUtcNow()), storage.Scope,
            }, tx);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == SQLitePCL.raw.SQLITE_CONSTRAINT)
        {
            // Another add took the name or the database first (two adds at once: each checked before the other wrote).
            if (storage.Scope is not null && c.QuerySingleOrDefault<string>("select name from offsite_storages where scope = @Scope", storage, tx) is { } taken)
            {
                throw ScopeTaken(taken, shown ?? "db " + storage.Scope);
            }
            throw NameTaken(storage.Name);
        }
        tx.Commit();
    }

    /// <summary>A store under a name in use.</summary>
    public static UserException NameTaken(string name) =>
        new($"There is a store named {name} already; remove it first (slipway storage rm {name}) or pick another name.", 409);

    /// <summary>A second store for a database that has one; <paramref name="shown"/> names the database ("shop (staging) db
    /// main").</summary>
    public static UserException ScopeTaken(string holder, string shown) =>
        new($"Store {holder} takes the backups of {shown} already (one store per database): remove it first (slipway storage rm {holder}), or keep it.", 409);

    /// <summary>Seals <paramref name="accessKey"/> and <paramref name="secretKey"/> as the keys of store <paramref name="name"/>
    /// (`storage keys`: the old ones revoked, or a restored platform's store still holding the lost machine's). Nothing else
    /// changes: what it holds stays recorded as shipped. False when there is no such store.</summary>
    public bool ReplaceKeys(string name, string accessKey, string secretKey)
    {
        using var c = Open();
        return c.Execute("update offsite_storages set access_key_enc = @access, secret_key_enc = @secret where name = @name",
            new { name, access = keyring.Encrypt(accessKey), secret = keyring.Encrypt(secretKey) }) > 0;
    }

    public bool Remove(string name)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        // What was shipped is forgotten with it: a store added again under this name starts from nothing.
        c.Execute("delete from offsite_shipped where storage = @name", new { name }, tx);
        var removed = c.Execute("delete from offsite_storages where name = @name", new { name }, tx) > 0;
        tx.Commit();
        return removed;
    }

    /// <summary>How to reach <paramref name="storage"/>, its keys unsealed (never logged: S3Settings hides them).</summary>
    public S3Settings Settings(OffsiteStorage storage)
    {
        using var c = Open();
        var keys = c.QuerySingleOrDefault<(string, string)?>("select access_key_enc, secret_key_enc from offsite_storages where name = @Name", storage)
            ?? throw new UserException($"Store {storage.Name} is no longer there (removed with 'slipway storage rm'); 'slipway storage ls' lists the stores.", 404);
        var (access, secret) = keys;
        return new S3Settings(storage.Endpoint, storage.Bucket, storage.Prefix, storage.Region, keyring.Decrypt(access), keyring.Decrypt(secret));
    }

    private sealed record Row(string Name, string Endpoint, string Bucket, string Prefix, string Region, long KeepLocal, DateTimeOffset CreatedAt, string? Scope)
    {
        public OffsiteStorage ToRecord() => new(Name, Endpoint, Bucket, Prefix, Region, KeepLocal != 0, Scope) { CreatedAt = CreatedAt };
    }
}

/// <summary>An off-site store as `storage ls` shows it (never its keys).</summary>
/// <param name="Scope">"ROW/DB" for a store that takes that database's backups only (<see cref="OffsiteStorages.ScopeOf"/>);
/// null for a platform-wide one.</param>
internal sealed record OffsiteStorage(string Name, string Endpoint, string Bucket, string Prefix, string Region, bool KeepLocal, string? Scope = null)
{
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>"platform-wide" or "db ROW/DB", for people.</summary>
    public string ScopeShown => Scope is null ? "platform-wide" : "db " + Scope;
}

/// <summary>Key rotation re-seals each store's keys.</summary>
internal sealed class OffsiteRows : ISealedRows
{
    public void Reseal(SqliteConnection connection, SqliteTransaction transaction, Func<string, string> reencrypt)
    {
        foreach (var (name, access, secret) in connection.Query<(string, string, string)>(
            "select name, access_key_enc, secret_key_enc from offsite_storages", transaction: transaction).AsList())
        {
            connection.Execute("update offsite_storages set access_key_enc = @access, secret_key_enc = @secret where name = @name",
                new { name, access = reencrypt(access), secret = reencrypt(secret) }, transaction);
        }
    }
}
