using System.Diagnostics;
using Slipway.Manifests;

namespace Slipway.Databases;

/// <summary>`slipway db branch --app A --from production --env staging`: the target environment gets a copy of
/// the source environment's database. pg_dump reads one consistent snapshot with ordinary reads (no lock
/// beyond what any reader takes, so the source's live connections go on undisturbed) and streams straight
/// into pg_restore; the copy is built beside the target's database and switched in atomically.</summary>
internal sealed class Branching(DatabaseStore databases, DatabaseProvisioner provisioner, DatabaseLocks locks, LiveReplacement replacement, DatabasesOptions options)
{
    /// <param name="CopyMilliseconds">The dump streamed into the restore; the rest is preparing and the switch.</param>
    /// <param name="SafetyBackup">Branching into production: the verified backup of the data the copy replaced.</param>
    public sealed record Outcome(string Database, bool Created, long Bytes, long Milliseconds, long CopyMilliseconds, long SwitchMilliseconds, string? SafetyBackup);

    /// <param name="schemaOnly">Copy the tables, indexes and functions without their rows (a preview of an untrusted change).</param>
    public async Task<Outcome> BranchAsync(string baseApp, string fromEnv, string toEnv, string name, bool schemaOnly, OperationProgress progress, CancellationToken token)
    {
        var (fromRef, toRef) = (AppRef.Of(baseApp, fromEnv), AppRef.Of(baseApp, toEnv));
        var (fromKey, toKey) = (fromRef.Key, toRef.Key);
        if (fromKey == toKey)
        {
            throw new UserException($"--from and --env are both {fromEnv}: a branch copies one environment's database into another.");
        }
        var source = databases.Find(fromKey, name) ?? throw new UserException(
            $"{baseApp} ({fromEnv}) has no database {name}. 'slipway db ls --app {baseApp} --env {fromEnv}' lists its databases.", 404);
        if (source.Type != DatabaseRecord.Postgres)
        {
            throw new UserException($"{name} is a {source.Type} database; branching copies postgres databases.");
        }
        var started = Stopwatch.StartNew();
        var existing = databases.Find(toKey, name);
        var target = existing ?? await provisioner.CreateAsync(toRef,
            new DatabaseSpec { Name = name, Var = source.VarName }, source.Server, token);
        using var held = await locks.HoldAsync(target.Id, token);
        string? safety = null;
        var from = await provisioner.TargetAsync(source.Server, token);
        var to = await provisioner.TargetAsync(target.Server, token);
        long bytes;
        await using (var admin = await from.OpenAsync(null, token))
        {
            bytes = await DatabaseProvisioner.Scalar(admin, $"select pg_database_size({Sql.Literal(source.DbName)})", token);
        }
        var scratch = DatabaseSwitch.Scratch("branch");
        await using (var admin = await to.OpenAsync(null, token))
        {
            await DatabaseProvisioner.Exec(admin, $"create database {Sql.Ident(scratch)} owner {Sql.Ident(target.RoleName)}", token);
        }
        var bin = PostgresBinaries.Require();
        var scratchDir = Path.Combine(options.DataDir, "backups", "tmp");
        var copyStarted = started.ElapsedMilliseconds;
        await progress.StepAsync($"copying {source.DbName} ({OperationProgress.Size(bytes)}) into a new copy beside {target.DbName} (pg_dump | pg_restore)");
        PgTool.Result dump, restore;
        try
        {
            await using var copied = progress.Every(TimeSpan.FromSeconds(2), async t =>
            {
                await using var admin = await to.OpenAsync(null, t);
                var now = await DatabaseProvisioner.Scalar(admin, $"select coalesce(sum(pg_database_size(datname)), 0) from pg_database where datname = {Sql.Literal(scratch)}", t);
                return $"copied {OperationProgress.Size(now)} of about {OperationProgress.Size(bytes)}";
            });
            (dump, restore) = await PgTool.PipeAsync(
                bin.Path("pg_dump"), pipe => ["--format=custom", "--compress=0", "--no-sync", .. (schemaOnly ? (string[])["--schema-only"] : []), "--file=" + pipe,
                    "--dbname=" + source.DbName], from.ClientEnv(),
                bin.Path("pg_restore"), ["--no-owner", "--no-privileges", "--exit-on-error", "--role=" + target.RoleName, "-d", scratch], to.ClientEnv(),
                scratchDir, token);
        }
        catch
        {
            // Stopped half-way (the client hung up): the partial copy goes now, not at the next platform start.
            await DatabaseRestore.DropQuietlyAsync(to, scratch, null);
            throw;
        }
        if (!dump.Ok || !restore.Ok)
        {
            await DatabaseRestore.DropQuietlyAsync(to, scratch, null);
            throw new UserException("The branch failed and the target was not changed: " + string.Join("; ", new[] { dump.Ok ? null : dump.Describe("pg_dump"), restore.Ok ? null : restore.Describe("pg_restore") }.OfType<string>()));
        }
        var switchStarted = started.ElapsedMilliseconds;
        if (existing is not null && toRef.IsProduction)
        {
            // Production's data is never replaced without a copy to go back to, holding every write made until the switch.
            await progress.StepAsync($"copied in {(switchStarted - copyStarted) / 1000.0:0.0} s");
            try
            {
                safety = (await replacement.ReplaceAsync(target, to, scratch, progress, token)).Id;
            }
            catch
            {
                await DatabaseRestore.DropQuietlyAsync(to, scratch, null);
                throw;
            }
        }
        else
        {
            await progress.StepAsync($"copied in {(switchStarted - copyStarted) / 1000.0:0.0} s; switching {target.DbName} to the copy (its sessions end; apps reconnect with the same URL)");
            await DatabaseSwitch.SwapAsync(to, target.DbName, scratch, target.RoleName, token);
        }
        return new Outcome(target.DbName, existing is null, bytes, started.ElapsedMilliseconds, switchStarted - copyStarted, started.ElapsedMilliseconds - switchStarted, safety);
    }
}
