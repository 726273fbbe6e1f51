namespace Slipway.Databases;

/// <summary>What a point-in-time recovery caught by a platform kill leaves, cleaned up at the next start: its
/// temporary cluster still running (it outlives the platform process), the copy of the base backup it ran on
/// (the size of the whole cluster), and the new database and role it was filling (never recorded, so nothing
/// else would drop them, and their name could not be used again). Also what a recovery from the off-site store
/// (restore-platform's Offsite.StoreRecovery) downloads beside the cluster: the base backup, days of WAL and their
/// scratch files, under a new random name at each try, so a kill would otherwise fill the new machine's disk.</summary>
internal static class RecoveryLeftovers
{
    public const string WorkPrefix = "recover-";

    /// <summary>The directories a recovery from the store works in, under the cluster's root (DATABASES/postgres).</summary>
    public const string StoreBasePrefix = "restore-base-";
    public const string StoreWalPrefix = "restore-wal-";
    public const string StoreScratchPrefix = "restore-scratch-";
    public static readonly IReadOnlyList<string> StorePrefixes = [StoreBasePrefix, StoreWalPrefix, StoreScratchPrefix];

    /// <summary>The file in a recovery's work directory naming the database it creates.</summary>
    public const string TargetFile = "target";

    public static async Task SweepAsync(PostgresCluster cluster, DatabaseStore databases, TimeProvider clock, CancellationToken token)
    {
        if (!cluster.IsInitialized || !Directory.Exists(cluster.Root))
        {
            return;
        }
        // Listed first, as the platform starts: a recovery this process begins comes later (restore-platform waits for the
        // application to have started, then lists the store), so its directories are never taken for leftovers.
        var works = Directory.GetDirectories(cluster.Root, WorkPrefix + "*");
        var downloads = StorePrefixes.SelectMany(prefix => Directory.GetDirectories(cluster.Root, prefix + "*")).ToList();
        foreach (var download in downloads)
        {
            Directory.Delete(download, recursive: true);
        }
        foreach (var work in works)
        {
            await StopPostmasterAsync(work, clock);
            var marker = Path.Combine(work, TargetFile);
            var target = File.Exists(marker) ? (await File.ReadAllTextAsync(marker, token)).Trim() : "";
            if (target.Length > 0 && databases.ListAll().All(d => d.DbName != target))
            {
                var live = await cluster.EnsureRunningAsync(token);
#pragma warning disable CA2000 // false positive: `await using` disposes it on every path once OpenAsync returned it
                await using var admin = await live.OpenAsync(null, token);
#pragma warning restore CA2000
                await DatabaseProvisioner.Exec(admin, $"drop database if exists {Sql.Ident(target)} with (force); drop role if exists {Sql.Ident(target)}", token);
            }
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task StopPostmasterAsync(string work, TimeProvider clock)
    {
        var pidFile = Path.Combine(work, "data", "postmaster.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid))
        {
            return;
        }
        try
        {
            if (!File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Contains(work, StringComparison.Ordinal))
            {
                return;
            }
        }
        catch (IOException)
        {
            return;
        }
        // SIGQUIT: immediate shutdown, the copy is thrown away.
        Runtime.ProcessGroups.SignalProcess(pid, 3);
        var deadline = clock.GetUtcNow() + TimeSpan.FromSeconds(15);
        while (File.Exists($"/proc/{pid}/cmdline") && clock.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), clock);
        }
        Runtime.ProcessGroups.SignalProcess(pid, Runtime.ProcessGroups.SigKill);
    }
}
