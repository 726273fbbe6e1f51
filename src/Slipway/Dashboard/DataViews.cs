namespace Slipway.Dashboard;

// What the Databases, Crons and Messages pages render (Dashboard/README.md: public records, built by DatabasesData,
// CronsData and MessagesData from what `GET /v1/apps/APP/databases|backups|crons|messages` answer with). An action is
// the path of the JSON API endpoint that does it, or null when the caller's role may not (no button is rendered).

/// <summary>Every database the caller may read, each with its backups.</summary>
public sealed record DatabasesView(IReadOnlyList<DatabaseCard> Databases, DateTimeOffset Now);

/// <summary>One database (Api.DatabaseDto plus its size, connections and backups).</summary>
/// <param name="Env">Its environment; empty for a detached database (restored with --to-new, not any environment's).</param>
/// <param name="Database">Its name on the server (app_shop_main).</param>
/// <param name="Schedule">Its backup schedule (cron, UTC); empty for redis.</param>
/// <param name="SizeBytes">pg_database_size (redis: used_memory) as last sampled; null when not measured.</param>
/// <param name="AppPage">The dashboard page of its app environment, when it has one.</param>
/// <param name="Backups">The newest <see cref="DatabasesData.BackupsShown"/>, newest first.</param>
/// <param name="BackupCount">How many backups it has in all.</param>
/// <param name="BackupAction">POST path that takes a backup now (deployer), or null.</param>
/// <param name="BranchAction">POST path that branches it into another environment (admin), the target's ?env= added by
/// databases.js from the form; null when the caller may not, or it cannot be branched (redis, detached).</param>
public sealed record DatabaseCard(string Id, string App, string Env, string Name, string Engine, string Database, bool Attached, string Schedule,
    long? SizeBytes, long? Connections, string? AppPage, IReadOnlyList<BackupRow> Backups, int BackupCount, string? BackupAction, string? BranchAction)
{
    /// <summary>"shop", "shop (staging)", or "shop (detached)".</summary>
    public string Scope => Env.Length == 0 ? $"{App} (detached)" : Env == AppRef.Production ? App : $"{App} ({Env})";

    /// <summary>The newest backup that finished (verified or failed).</summary>
    public BackupRow? LastBackup => Backups.FirstOrDefault(b => b.Status is "verified" or "failed");

    /// <summary>The newest verified backup.</summary>
    public BackupRow? LastVerified => Backups.FirstOrDefault(b => b.Status == "verified");
}

/// <summary>One backup (Api.BackupDto): verified when its restore into a scratch database matched, failed why.</summary>
/// <param name="RestoreAction">POST path that restores it into a new database (admin; verified backups only), or null.</param>
public sealed record BackupRow(string Id, string Kind, string Status, long? SizeBytes, long? DurationMs, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt,
    int Tables, long Rows, string? Error, string? RestoreAction);

/// <summary>Every cron job of the live deployments the caller may read.</summary>
public sealed record CronsView(IReadOnlyList<CronRow> Crons, DateTimeOffset Now)
{
    /// <summary>Whether a run is under way (the page then refreshes itself until it ends).</summary>
    public bool Running => Crons.Any(c => c.LastRun?.Status == "running");
}

/// <summary>One cron job (Jobs.CronView): what it runs, when, how it last went.</summary>
/// <param name="Target">"GET /path" for an HTTP job, the command for a command job.</param>
/// <param name="Paused">Why it does not run on its schedule here (a preview environment), or null.</param>
/// <param name="History">The dashboard page with its runs and their output.</param>
/// <param name="RunAction">POST path that runs it now (deployer), or null.</param>
public sealed record CronRow(string App, string Env, string Name, string Schedule, string TimeZone, string Kind, string Target, DateTimeOffset? NextRun,
    string? Paused, CronRunRow? LastRun, string History, string? RunAction)
{
    public string Scope => Env == AppRef.Production ? App : $"{App} ({Env})";

    /// <summary>A stable element id for its row and button.</summary>
    public string Key => DataPages.IdOf(App, Env, Name);
}

/// <summary>One run of a cron job (Jobs.CronRunRecord), its output as the job printed it (shown as text).</summary>
public sealed record CronRunRow(string Id, string Trigger, string Status, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, long? DurationMs,
    long Attempts, long? HttpStatus, long? ExitCode, string? Output, string? Error)
{
    /// <summary>"succeeded (exit 0)", "failed (500)", as `slipway cron runs` prints it.</summary>
    public string Outcome => Status + (HttpStatus is { } code ? $" ({code})" : ExitCode is { } exit ? $" (exit {exit})" : "");
}

/// <summary>One cron job's page: the job and its newest runs.</summary>
/// <param name="Fragment">Where the page's content refreshes from.</param>
public sealed record CronPageView(CronRow Cron, IReadOnlyList<CronRunRow> Runs, string Fragment, DateTimeOffset Now)
{
    public bool Running => Runs.Any(r => r.Status == "running");
}

/// <summary>Pending and dead messages of every app environment the caller may read (the ones that have any).</summary>
public sealed record MessagesView(IReadOnlyList<MessageGroup> Apps, DateTimeOffset Now);

/// <summary>One app environment's waiting and dead-lettered messages, newest first, at most
/// <see cref="MessagesData.Shown"/> of each (the counts are of all).</summary>
public sealed record MessageGroup(string App, string Env, IReadOnlyList<MessageRow> Pending, long PendingCount, IReadOnlyList<MessageRow> Dead,
    long DeadCount)
{
    public string Scope => Env == AppRef.Production ? App : $"{App} ({Env})";

    public string Key => DataPages.IdOf(App, Env, "messages");
}

/// <summary>One message (Jobs.MessageView: its body and headers are the app's data, never shown).</summary>
/// <param name="RetryAction">POST path that sends a dead message again (deployer), or null.</param>
public sealed record MessageRow(string Id, string Status, string Method, string Target, DateTimeOffset NotBefore, long Attempts, long Retries,
    long? LastStatus, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? RetryAction)
{
    /// <summary>The last attempt's answer: its error, else its HTTP status.</summary>
    public string LastResult => LastError ?? (LastStatus is { } code ? $"HTTP {code}" : "not tried yet");
}
