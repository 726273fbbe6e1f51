using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.Config;
using Slipway.State;

namespace Slipway.Offsite;

/// <summary>The off-site stores in the platform's database (schema step 18), their keys sealed under the master key.
/// One store, the first added, takes every backup ("platform-wide"); a store is checked (a probe object written, read
/// and deleted) before it is kept, so a wrong key or a missing bucket is said at `storage add`, not at 3 a.m.</summary>
internal sealed class OffsiteStorages(Store store, Keyring keyring, TimeProvider clock)
{
    private SqliteConnection Open() => store.Connections.Open();

    public IReadOnlyList<OffsiteStorage> List()
    {
        using var c = Open();
        return c.Query<Row>("select name, endpoint, bucket, prefix, region, keep_local, created_at from offsite_storages order by created_at, name")
            .Select(r => r.ToRecord()).ToList();
    }

    /// <summary>The store backups go to, if one was added.</summary>
    public OffsiteStorage? Default() => List().FirstOrDefault();

    public void Add(OffsiteStorage storage, string accessKey, string secretKey)
    {
        using var c = Open();
        var added = c.Execute("""
            insert or ignore into offsite_storages (name, endpoint, bucket, prefix, region, access_key_enc, secret_key_enc, keep_local, created_at)
            values (@Name, @Endpoint, @Bucket, @Prefix, @Region, @access, @secret, @keep, @at)
            """, new
        {
            storage.Name, storage.Endpoint, storage.Bucket, storage.Prefix, storage.Region, access = keyring.Encrypt(accessKey), secret = keyring.Encrypt(secretKey),
            keep = storage.KeepLocal ? 1 : 0, at = UtcTime.Format(clock.GetUtcNow()),
        });
        if (added == 0)
        {
            throw new UserException($"There is a store named {storage.Name} already; remove it first (slipway storage rm {storage.Name}) or pick another name.", 409);
        }
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
        var (access, secret) = c.QuerySingle<(string, string)>("select access_key_enc, secret_key_enc from offsite_storages where name = @Name", storage);
        return new S3Settings(storage.Endpoint, storage.Bucket, storage.Prefix, storage.Region, keyring.Decrypt(access), keyring.Decrypt(secret));
    }

    private sealed record Row(string Name, string Endpoint, string Bucket, string Prefix, string Region, long KeepLocal, DateTimeOffset CreatedAt)
    {
        public OffsiteStorage ToRecord() => new(Name, Endpoint, Bucket, Prefix, Region, KeepLocal != 0) { CreatedAt = CreatedAt };
    }
}

/// <summary>An off-site store as `storage ls` shows it (never its keys).</summary>
internal sealed record OffsiteStorage(string Name, string Endpoint, string Bucket, string Prefix, string Region, bool KeepLocal)
{
    public DateTimeOffset CreatedAt { get; init; }
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
