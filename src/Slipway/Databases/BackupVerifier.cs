using System.Security.Cryptography;
using Npgsql;

namespace Slipway.Databases;

/// <summary>Proves a backup restores: its checksum matches, pg_restore loads it whole into a scratch database,
/// and every table has the rows the dump's snapshot had. The scratch database is always dropped.</summary>
internal sealed class BackupVerifier(IBackupStorage storage, DatabaseProvisioner provisioner, PostgresCluster cluster)
{
    public const string ScratchPrefix = "slipway_verify_";

    /// <summary>Null when the backup is good, else what is wrong with it.</summary>
    public async Task<string?> VerifyAsync(BackupRecord backup, string server, CancellationToken token)
    {
        using var fetched = await storage.FetchAsync(backup.Location!, ScratchDir, token);
        return await VerifyFileAsync(backup, server, fetched.Path, token);
    }

    /// <summary>Null when <paramref name="file"/> is <paramref name="backup"/> and restores whole, else what is wrong (an
    /// off-site copy read back by `storage verify`).</summary>
    public async Task<string?> VerifyFileAsync(BackupRecord backup, string server, string file, CancellationToken token)
    {
        if (await ChecksumAsync(file, token) != backup.Sha256)
        {
            return "checksum mismatch: the stored file is not the one written (corrupted or changed)";
        }
        var target = await provisioner.TargetAsync(server, token);
        var scratch = ScratchPrefix + backup.Id.Replace('-', '_').ToLowerInvariant();
        await using var admin = await target.OpenAsync(null, token);
        await DatabaseProvisioner.Exec(admin, $"drop database if exists {Sql.Ident(scratch)} with (force)", token);
        await DatabaseProvisioner.Exec(admin, $"create database {Sql.Ident(scratch)}", token);
        try
        {
            var restore = await PgTool.RunAsync(PostgresBinaries.Require().Path("pg_restore"),
                ["--no-owner", "--no-privileges", "--exit-on-error", "-d", scratch, file], target.ClientEnv(), token);
            if (!restore.Ok)
            {
                return restore.Describe("pg_restore");
            }
            await using var restored = await target.OpenAsync(scratch, token);
            var problems = TableCounts.Compare(TableCounts.FromJson(backup.TablesJson), await TableCounts.ReadAsync(restored, null, token));
            return problems.Count == 0 ? null : "restored data differs: " + string.Join("; ", problems.Take(5));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await DatabaseProvisioner.Exec(admin, $"drop database if exists {Sql.Ident(scratch)} with (force)", CancellationToken.None);
        }
    }

    public string ScratchDir => Path.Combine(cluster.Root, "..", "scratch");

    public static async Task<string> ChecksumAsync(string file, CancellationToken token)
    {
        await using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, token));
    }
}
