using Npgsql;
using Slipway.Config;
using Slipway.Manifests;
using Slipway.State;

namespace Slipway.Databases;

/// <summary>Gives an environment its databases: a role with a generated password and a database it owns
/// (CONNECT revoked from PUBLIC; pg_hba lets a role reach only the database of its name), and the URL as a
/// secret config var. Idempotent: deploying again changes nothing that exists.</summary>
internal sealed class DatabaseProvisioner(
    DatabaseStore databases, PostgresCluster cluster, RedisServers redis, Store store, ConfigVars config, Keyring keyring)
{
    /// <summary>Deploy hook, before the release command: every database the manifest declares exists and its
    /// URL is in the environment's config. Returns the names created.</summary>
    public async Task<IReadOnlyList<string>> PrepareAsync(AppRef target, IReadOnlyList<DatabaseSpec> specs, Action<string> log, CancellationToken token)
    {
        try
        {
            return await PrepareCoreAsync(target, specs, log, token);
        }
        catch (NpgsqlException e)
        {
            throw new UserException($"Could not provision the databases of {target}: {e.Message}. 'slipway doctor' checks the database server.");
        }
    }

    private async Task<IReadOnlyList<string>> PrepareCoreAsync(AppRef target, IReadOnlyList<DatabaseSpec> specs, Action<string> log, CancellationToken token)
    {
        var key = target.Key;
        var created = new List<string>();
        foreach (var spec in specs)
        {
            var existing = databases.Find(key, spec.Name);
            if (existing is null)
            {
                log($"creating {spec.Type.ToString().ToLowerInvariant()} database {spec.Name} ({spec.Var})");
                await CreateAsync(target, spec, null, token);
                created.Add(spec.Name);
                continue;
            }
            if (config.List(target).All(e => e.Name != existing.VarName))
            {
                // Its URL was unset by hand: the app cannot work without it.
                log($"{existing.VarName} was missing: setting it again for database {spec.Name}");
                config.Change(key, new Dictionary<string, string> { [existing.VarName] = await UrlAsync(existing, token) }, secret: true, []);
            }
            var settings = Settings(spec, existing.ParsedSettings);
            if (settings.ToJson() != existing.Settings)
            {
                databases.UpdateSettings(existing.Id, settings.ToJson());
            }
            if (existing.Type == DatabaseRecord.Redis)
            {
                await redis.EnsureRunningAsync(databases.FindById(existing.Id)!, token);
            }
            else if (existing.Server == DatabaseRecord.Managed)
            {
                await cluster.EnsureRunningAsync(token);
            }
        }
        return created;
    }

    private static DatabaseSettings Settings(DatabaseSpec spec, DatabaseSettings? current = null) => (current ?? new DatabaseSettings()) with
    {
        Schedule = spec.Backups.Schedule,
        KeepDaily = spec.Backups.KeepDaily,
        KeepWeekly = spec.Backups.KeepWeekly,
        MaxMemory = spec.MaxMemory,
    };

    public async Task<DatabaseRecord> CreateAsync(AppRef owner, DatabaseSpec spec, string? server, CancellationToken token)
    {
        var key = owner.Key;
        if (databases.Find(key, spec.Name) is { } existing)
        {
            return existing;
        }
        store.EnsureApp(owner);
        if (databases.ListFor(key).FirstOrDefault(d => d.VarName == spec.Var) is { } other)
        {
            throw new UserException($"{spec.Var} already holds the URL of database {other.Name}; give {spec.Name} another variable (--var NAME_URL, or \"var\" in slipway.json).");
        }
        if (config.List(owner).FirstOrDefault(e => e.Name == spec.Var && !e.Shared) is not null)
        {
            throw new UserException($"{spec.Var} is already set for {owner}: Slipway will not overwrite it. " +
                $"Remove it with 'slipway env unset {owner.Flags} {spec.Var}', or give the database another variable (\"var\").");
        }
        var password = Secrets.Password();
        var name = Sql.NameFor(key, spec.Name);
        if (databases.ListAll().Any(d => d.DbName == name || d.RoleName == name))
        {
            // Another environment's (or a detached) database has this name: adopting its role and database
            // would hand that data to this app, and change the other app's password.
            name = Sql.DistinctNameFor(key, spec.Name);
        }
        var record = new DatabaseRecord(State.Ids.New("db"), key, owner.App, owner.Env, spec.Name,
            spec.Type == DatabaseType.Redis ? DatabaseRecord.Redis : DatabaseRecord.Postgres,
            spec.Type == DatabaseType.Redis ? DatabaseRecord.Managed : server ?? DatabaseRecord.Managed,
            name, name, keyring.Encrypt(password), spec.Var, Settings(spec).ToJson(), databases.Now(), null);
        string url;
        if (spec.Type == DatabaseType.Redis)
        {
            record = await redis.CreateAsync(record, token);
            url = redis.Url(record, password);
        }
        else
        {
            var target = await TargetAsync(record.Server, token);
            await CreateRoleAndDatabaseAsync(target, name, password, token);
            databases.Insert(record);
            url = target.AppUrl(name, password, name);
        }
        config.Change(key, new Dictionary<string, string> { [spec.Var] = url }, secret: true, []);
        return record;
    }

    public static async Task CreateRoleAndDatabaseAsync(PostgresTarget target, string name, string password, CancellationToken token)
    {
        await using var admin = await target.OpenAsync(null, token);
        var exists = await Scalar(admin, $"select count(*) from pg_roles where rolname = {Sql.Literal(name)}", token);
        await Exec(admin, exists > 0
            ? $"alter role {Sql.Ident(name)} with login password {Sql.Literal(password)}"
            : $"create role {Sql.Ident(name)} with login nosuperuser nocreatedb nocreaterole password {Sql.Literal(password)}", token);
        if (await Scalar(admin, $"select count(*) from pg_database where datname = {Sql.Literal(name)}", token) == 0)
        {
            // The administrator of an external server may not be superuser: it must be a member of the role to make it owner.
            await Exec(admin, $"grant {Sql.Ident(name)} to current_user", token);
            await Exec(admin, $"create database {Sql.Ident(name)} owner {Sql.Ident(name)}", token);
        }
        await Exec(admin, $"revoke all on database {Sql.Ident(name)} from public", token);
        await Exec(admin, $"grant all on database {Sql.Ident(name)} to {Sql.Ident(name)}", token);
        if (target.Server == DatabaseRecord.Managed)
        {
            await Exec(admin, "revoke connect on database postgres from public", token);
        }
        await using var db = await target.OpenAsync(name, token);
        await Exec(db, $"alter schema public owner to {Sql.Ident(name)}; revoke all on schema public from public", token);
    }

    /// <summary>Where a database lives: the managed cluster (started if needed), or an added server.</summary>
    public async Task<PostgresTarget> TargetAsync(string server, CancellationToken token)
    {
        if (server == DatabaseRecord.Managed)
        {
            return await cluster.EnsureRunningAsync(token);
        }
        var record = databases.FindServer(server) ?? throw new UserException($"No database server '{server}'. Add it with 'slipway db server add URL --name {server}'.");
        return PostgresTarget.FromUrl(server, keyring.Decrypt(record.UrlEnc));
    }

    public string Password(DatabaseRecord record) => keyring.Decrypt(record.SecretEnc);

    public async Task<string> UrlAsync(DatabaseRecord record, CancellationToken token) => record.Type == DatabaseRecord.Redis
        ? redis.Url(record, Password(record))
        : (await TargetAsync(record.Server, token)).AppUrl(record.RoleName, Password(record), record.DbName);

    /// <summary>`slipway db server add`: checks the URL works and may create roles and databases, then keeps it (encrypted).</summary>
    public async Task AddServerAsync(string name, string url, CancellationToken token)
    {
        var target = PostgresTarget.FromUrl(name, url);
        try
        {
            await using var admin = await target.OpenAsync(null, token);
            await using var command = new NpgsqlCommand("select rolsuper or (rolcreaterole and rolcreatedb) from pg_roles where rolname = current_user", admin);
            if (await command.ExecuteScalarAsync(token) is not true)
            {
                throw new UserException($"{target.AdminUser} on {target.Host}:{target.Port} cannot create roles and databases: grant it CREATEROLE and CREATEDB, or give a superuser's URL.");
            }
        }
        catch (NpgsqlException e)
        {
            throw new UserException($"Could not connect to {target.Host}:{target.Port} as {target.AdminUser}: {e.Message}. Check the URL, and that the server accepts connections from this machine.");
        }
        databases.InsertServer(new DbServerRecord(name, keyring.Encrypt(url), databases.Now()));
    }

    /// <summary>Drops a database and its role (`slipway destroy` of its environment, after its final backup).</summary>
    public async Task DropAsync(DatabaseRecord record, CancellationToken token)
    {
        if (record.Type == DatabaseRecord.Redis)
        {
            await redis.DropAsync(record);
        }
        else
        {
            var target = await TargetAsync(record.Server, token);
            try
            {
                await using var admin = await target.OpenAsync(null, token);
                await Exec(admin, $"drop database if exists {Sql.Ident(record.DbName)} with (force)", token);
                if (databases.ListAll().Count(d => d.RoleName == record.RoleName && d.Type == DatabaseRecord.Postgres) <= 1)
                {
                    await Exec(admin, $"drop role if exists {Sql.Ident(record.RoleName)}", token);
                }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // Kept (record and all) rather than forgotten: its data would stay on the server with nothing pointing at it.
                throw new UserException($"Could not drop database {record.DbName} on server {target}: {e.Message}. " +
                    "It is kept, with its record; bring the server back ('slipway doctor' checks the managed one) and run the command again.");
            }
        }
        databases.Delete(record.Id);
    }

    public static async Task Exec(NpgsqlConnection connection, string sql, CancellationToken token)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(token);
    }

    public static async Task<long> Scalar(NpgsqlConnection connection, string sql, CancellationToken token)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(token), System.Globalization.CultureInfo.InvariantCulture);
    }
}
