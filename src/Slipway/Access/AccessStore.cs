using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Access;

/// <summary>Users, grants, tokens, sessions and settings in the platform's database (tables from schema step 6).
/// Secrets are never stored: tokens and sessions by SHA-256 hash, passwords by Argon2id, TOTP secrets sealed.</summary>
internal sealed class AccessStore(Store store, TimeProvider clock)
{
    private SqliteConnection Open() => store.Connections.Open();

    public DateTimeOffset Now => clock.GetUtcNow();

    // ---- users

    public UserRecord? FindUser(string name)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<UserRecord>("select * from users where name = @name", new { name });
    }

    public UserRecord? FindUserById(string id)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<UserRecord>("select * from users where id = @id", new { id });
    }

    public IReadOnlyList<UserRecord> ListUsers()
    {
        using var c = Open();
        return c.Query<UserRecord>("select * from users order by name").AsList();
    }

    /// <summary>Creates a user with its first grant in one transaction; false when the name is taken.</summary>
    public bool CreateUser(UserRecord user, Grant grant)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        if (c.ExecuteScalar<long>("select count(*) from users where name = @Name", user, tx) > 0)
        {
            return false;
        }
        c.Execute("""
            insert into users (id, name, password_hash, totp_secret_enc, totp_last_step, recovery_json, created_at, password_changed_at)
            values (@Id, @Name, @PasswordHash, @TotpSecretEnc, @TotpLastStep, @RecoveryJson, @CreatedAt, @PasswordChangedAt)
            """, user, tx);
        SetGrant(c, tx, user.Id, grant);
        tx.Commit();
        return true;
    }

    public void SetPassword(string userId, string hash)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        c.Execute("update users set password_hash = @hash, password_changed_at = @now where id = @userId", new { hash, now = Now, userId }, tx);
        // A new password ends every session made with the old one.
        c.Execute("delete from sessions where user_id = @userId", new { userId }, tx);
        tx.Commit();
    }

    public void SetTotp(string userId, string? secretEnc, string recoveryJson)
    {
        using var c = Open();
        c.Execute("update users set totp_secret_enc = @secretEnc, totp_last_step = 0, recovery_json = @recoveryJson where id = @userId",
            new { secretEnc, recoveryJson, userId });
    }

    /// <summary>Records the TOTP time step just used; false when it (or a later one) was used already, so a code
    /// seen over someone's shoulder cannot be replayed within its 30 seconds.</summary>
    public bool UseTotpStep(string userId, long step)
    {
        using var c = Open();
        return c.Execute("update users set totp_last_step = @step where id = @userId and totp_last_step < @step", new { step, userId }) == 1;
    }

    /// <summary>Takes a recovery code out of the list (each works once); false when the list changed meanwhile.</summary>
    public bool ReplaceRecoveryCodes(string userId, string before, string after)
    {
        using var c = Open();
        return c.Execute("update users set recovery_json = @after where id = @userId and recovery_json = @before", new { after, userId, before }) == 1;
    }

    /// <summary>Deletes a user, its grants and sessions, and revokes the tokens it created; returns their names.</summary>
    public IReadOnlyList<string> DeleteUser(string userId)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var revoked = c.Query<string>("select name from tokens where created_by = @userId and revoked_at is null", new { userId }, tx).AsList();
        c.Execute("update tokens set revoked_at = @now where created_by = @userId and revoked_at is null", new { now = Now, userId }, tx);
        c.Execute("delete from grants where holder = @userId", new { userId }, tx);
        c.Execute("delete from sessions where user_id = @userId", new { userId }, tx);
        c.Execute("delete from users where id = @userId", new { userId }, tx);
        tx.Commit();
        return revoked;
    }

    // ---- grants

    public IReadOnlyList<Grant> GrantsOf(string holder)
    {
        using var c = Open();
        return GrantsOf(c, null, holder);
    }

    public IReadOnlyDictionary<string, IReadOnlyList<Grant>> AllGrants()
    {
        using var c = Open();
        return c.Query<(string Holder, string Role, string App, string Env)>("select holder, role, app, env from grants order by holder, app, env").AsList()
            .GroupBy(r => r.Holder, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<Grant>)g.Select(ToGrant).ToList(), StringComparer.Ordinal);
    }

    /// <summary>Sets the holder's role at the grant's scope (replacing the role it had there).</summary>
    public void SetGrant(string holder, Grant grant)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        SetGrant(c, tx, holder, grant);
        tx.Commit();
    }

    /// <summary>Removes the holder's grant at exactly this scope; false when it had none there.</summary>
    public bool RemoveGrant(string holder, string? app, string? env)
    {
        using var c = Open();
        return c.Execute("delete from grants where holder = @holder and app = @app and env = @env", new { holder, app = app ?? "", env = env ?? "" }) == 1;
    }

    /// <summary>Users holding a global owner grant (the platform must always keep one).</summary>
    public int CountOwners()
    {
        using var c = Open();
        return c.ExecuteScalar<int>("""
            select count(*) from grants g join users u on u.id = g.holder
            where g.role = @owner and g.app = '' and g.env = ''
            """, new { owner = JsonSpellings.Of(Role.Owner) });
    }

    private static void SetGrant(SqliteConnection c, SqliteTransaction tx, string holder, Grant grant) =>
        c.Execute("insert or replace into grants (holder, role, app, env) values (@holder, @role, @app, @env)",
            new { holder, role = JsonSpellings.Of(grant.Role), app = grant.App ?? "", env = grant.Env ?? "" }, tx);

    private static List<Grant> GrantsOf(SqliteConnection c, SqliteTransaction? tx, string holder) =>
        c.Query<(string Holder, string Role, string App, string Env)>("select holder, role, app, env from grants where holder = @holder order by app, env",
            new { holder }, tx).Select(ToGrant).ToList();

    private static Grant ToGrant((string Holder, string Role, string App, string Env) row) =>
        new(JsonSpellings.Parse<Role>(row.Role), row.App.Length == 0 ? null : row.App, row.Env.Length == 0 ? null : row.Env);

    // ---- tokens

    public void CreateToken(TokenRecord token, Grant grant)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        c.Execute("""
            insert into tokens (id, name, hash, hint, created_by, created_at, expires_at, last_used_at, last_used_from, revoked_at)
            values (@Id, @Name, @Hash, @Hint, @CreatedBy, @CreatedAt, @ExpiresAt, null, null, null)
            """, token, tx);
        SetGrant(c, tx, token.Id, grant);
        tx.Commit();
    }

    public TokenRecord? FindTokenByHash(string hash)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<TokenRecord>("select * from tokens where hash = @hash", new { hash });
    }

    public IReadOnlyList<TokenRecord> ListTokens()
    {
        using var c = Open();
        return c.Query<TokenRecord>("select * from tokens order by created_at").AsList();
    }

    public bool RevokeToken(string id)
    {
        using var c = Open();
        return c.Execute("update tokens set revoked_at = @now where id = @id and revoked_at is null", new { now = Now, id }) == 1;
    }

    /// <summary>Records a token's last use, at most once a minute per token (a busy CI token is not a write per request).</summary>
    public void TouchToken(string id, string? address)
    {
        using var c = Open();
        c.Execute("update tokens set last_used_at = @now, last_used_from = @address where id = @id and (last_used_at is null or last_used_at < @before)",
            new { now = Now, address, id, before = Now - TimeSpan.FromMinutes(1) });
    }

    // ---- sessions

    public void CreateSession(SessionRecord session)
    {
        using var c = Open();
        c.Execute("""
            insert into sessions (hash, user_id, kind, csrf, created_at, expires_at, last_seen_at, address, client)
            values (@Hash, @UserId, @Kind, @Csrf, @CreatedAt, @ExpiresAt, @LastSeenAt, @Address, @Client)
            """, session);
        c.Execute("delete from sessions where expires_at < @now", new { now = Now });
    }

    public SessionRecord? FindSession(string hash)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<SessionRecord>("select * from sessions where hash = @hash", new { hash });
    }

    /// <summary>Slides a session's expiry forward (at most once a minute), never past its absolute limit.</summary>
    public void TouchSession(string hash, DateTimeOffset expiresAt)
    {
        using var c = Open();
        c.Execute("update sessions set last_seen_at = @now, expires_at = @expiresAt where hash = @hash and last_seen_at < @before",
            new { now = Now, expiresAt, hash, before = Now - TimeSpan.FromMinutes(1) });
    }

    public void DeleteSession(string hash)
    {
        using var c = Open();
        c.Execute("delete from sessions where hash = @hash", new { hash });
    }

    // ---- settings

    public string? Setting(string key)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<string?>("select value from access_settings where key = @key", new { key });
    }

    public void SetSetting(string key, string? value)
    {
        using var c = Open();
        if (value is null)
        {
            c.Execute("delete from access_settings where key = @key", new { key });
        }
        else
        {
            c.Execute("insert or replace into access_settings (key, value) values (@key, @value)", new { key, value });
        }
    }

    /// <summary>Takes the setting only if it still has <paramref name="expected"/> (a one-time code used once).</summary>
    public bool TakeSetting(string key, string expected)
    {
        using var c = Open();
        return c.Execute("delete from access_settings where key = @key and value = @expected", new { key, expected }) == 1;
    }
}
