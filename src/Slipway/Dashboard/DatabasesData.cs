using Slipway.Access;
using Slipway.Api;
using Slipway.Databases;
using Slipway.State;

namespace Slipway.Dashboard;

/// <summary>The Databases page's data: what `GET /v1/apps/APP/databases` and `/backups` answer for every environment
/// the caller may read (a detached database, restored with --to-new, is listed with its app as that endpoint lists it
/// in every environment's answer), with each database's size and connections as the metrics sample them, and the
/// actions the caller's role allows: take a backup (backup), restore a verified backup into a new database and branch
/// into another environment (restore-databases; branching also reveal-secrets on the source, as the API demands).</summary>
internal sealed class DatabasesData(DatabaseStore databases, Store store, DatabaseMetrics metrics, TimeProvider clock)
{
    /// <summary>How many of a database's backups the page lists (`slipway db backups` lists them all).</summary>
    public const int BackupsShown = 10;

    /// <summary>How long a page waits for a fresh sample of the sizes before it shows what it has.</summary>
    private static readonly TimeSpan SampleWait = TimeSpan.FromSeconds(2);

    public async Task<DatabasesView> ListAsync(Principal me, CancellationToken token)
    {
        var apps = store.ListApps();
        // The API lists a detached database in the answer of any environment of its app the caller may read.
        var readable = apps.Where(a => me.Can(Permission.Read, a.Ref)).ToList();
        var baseApps = readable.Select(a => a.App).ToHashSet(StringComparer.Ordinal);
        var pages = readable.ToDictionary(a => a.Name, a => DashboardData.PagePath(a.Ref), StringComparer.Ordinal);
        var shown = databases.ListAll()
            .Where(d => d.App.Length == 0 ? baseApps.Contains(d.BaseApp) || me.Can(Permission.Read, AppRef.Of(d.BaseApp)) : me.Can(Permission.Read, new AppRef(d.BaseApp, d.Env)))
            .OrderBy(d => d.BaseApp, StringComparer.Ordinal).ThenBy(d => d.App.Length == 0).ThenBy(d => d.Env != AppRef.Production).ThenBy(d => d.Env, StringComparer.Ordinal)
            .ThenBy(d => d.Name, StringComparer.Ordinal)
            .ToList();
        var readings = shown.Count == 0 ? new Dictionary<string, DatabaseReading>() : await metrics.ReadingsAsync(shown.Select(d => d.Id).ToList(), SampleWait, token);
        var cards = shown.Select(d => Card(me, d, readings.GetValueOrDefault(d.Id), d.App.Length > 0 ? pages.GetValueOrDefault(d.App) : null)).ToList();
        return new DatabasesView(cards, clock.GetUtcNow());
    }

    private DatabaseCard Card(Principal me, DatabaseRecord d, DatabaseReading? reading, string? page)
    {
        var dto = DatabaseViews.Of(d);
        var attached = d.App.Length > 0;
        // The environment whose endpoints reach it: its own, or (detached) the app's production, as the CLI's --app does.
        var scope = attached ? new AppRef(d.BaseApp, d.Env) : AppRef.Of(d.BaseApp);
        var postgres = d.Type == DatabaseRecord.Postgres;
        var backups = databases.ListBackupsOf(d.Id);
        var rows = backups.Take(BackupsShown).Select(b => Backup(me, b)).ToList();
        var path = $"/v1/apps/{Uri.EscapeDataString(d.BaseApp)}/databases/{Uri.EscapeDataString(d.Name)}";
        return new DatabaseCard(d.Id, d.BaseApp, attached ? d.Env : "", d.Name, d.Type, d.DbName, attached, dto.Schedule,
            reading?.SizeBytes, reading?.Connections, page, rows, backups.Count,
            postgres && me.Can(Permission.Backup, scope) ? path + "/backups" + EnvQuery(scope) + (scope.IsProduction ? "?" : "&") + Progress : null,
            postgres && attached && me.Can(Permission.RestoreDatabases, scope) && me.Can(Permission.RevealSecrets, scope) ? path + "/branch?" + Progress : null);
    }

    private BackupRow Backup(Principal me, BackupRecord b)
    {
        var dto = DatabaseViews.Of(b);
        // The API's own check: restore-databases on the environment the backup was taken of (Api/DatabaseEndpoints.BackupApp).
        var restore = dto.Status == BackupStatus.Verified && me.Can(Permission.RestoreDatabases, store.RefOf(b.App))
            ? $"/v1/backups/{Uri.EscapeDataString(b.Id)}/restore?{Progress}"
            : null;
        return new BackupRow(dto.Id, dto.Kind, dto.Status, dto.SizeBytes, dto.DurationMs, UtcTime.Parse(dto.StartedAt),
            dto.FinishedAt is { } finished ? UtcTime.Parse(finished) : null, dto.Tables, dto.Rows, dto.Error, restore);
    }

    /// <summary>Long operations answer as they go (Api/ProgressStream: steps and keep-alives), so the edge does not cut
    /// one that is quiet for longer than its idle limit; dashboard.js reads an {"error"} line as the failure.</summary>
    private const string Progress = "progress=1";

    private static string EnvQuery(AppRef scope) => scope.IsProduction ? "" : "?env=" + Uri.EscapeDataString(scope.Env);
}
