using System.Text.Json;

namespace Slipway.Databases;

/// <summary>A database of an environment (<see cref="App"/> is its row name: APP or APP-ENV), or a detached
/// one (App "") made by `db restore --to-new`. The password (or redis password) is encrypted in SecretEnc.</summary>
internal sealed record DatabaseRecord(
    string Id, string App, string BaseApp, string Env, string Name, string Type, string Server, string DbName,
    string RoleName, string SecretEnc, string VarName, string Settings, string CreatedAt, string? LastScheduledAt)
{
    public const string Managed = "managed";
    public const string Postgres = "postgres";
    public const string Redis = "redis";

    public DatabaseSettings ParsedSettings => JsonSerializer.Deserialize<DatabaseSettings>(Settings, DatabaseSettings.Json) ?? new DatabaseSettings();
}

/// <summary>Per-database settings that come from the manifest (or `db create`).</summary>
internal sealed record DatabaseSettings
{
    public static readonly JsonSerializerOptions Json = JsonSpellings.Web();

    public string Schedule { get; init; } = "0 3 * * *";
    public int KeepDaily { get; init; } = 7;
    public int KeepWeekly { get; init; } = 4;

    /// <summary>Redis: its loopback port and maxmemory.</summary>
    public int? Port { get; init; }
    public string? MaxMemory { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

internal static class BackupStatus
{
    public const string Running = "running";
    public const string Verifying = "verifying";
    public const string Verified = "verified";
    public const string Failed = "failed";
}

internal static class BackupKind
{
    public const string Scheduled = "scheduled";
    public const string Manual = "manual";
    /// <summary>Taken before a restore in place replaces the database.</summary>
    public const string Safety = "safety";
    /// <summary>Taken by destroy before it drops the database; stays listed and restorable (--to-new) after the environment is gone.</summary>
    public const string Final = "final";
}

/// <param name="Location">The key in the backup storage.</param>
/// <param name="TablesJson">Row count of every table in the dump's snapshot: what verification compares against.</param>
internal sealed record BackupRecord(
    string Id, string DatabaseId, string App, string DbName, string Kind, string Status, string? Location, long? SizeBytes,
    string? Sha256, string? TablesJson, string StartedAt, string? FinishedAt, long? DurationMs, string? Error);

/// <summary>How a database's backups stand (<see cref="DatabaseStore.BackupHealth"/>): its last finished backup
/// (verified or failed) and when its last verified one was taken. Times as stored. Properties, not a constructor: an
/// aggregate column has no declared type, so Dapper could not match one to a constructor when no row comes back.</summary>
internal sealed record BackupHealth
{
    public string DatabaseId { get; init; } = "";
    public string App { get; init; } = "";
    public string Name { get; init; } = "";
    public string CreatedAt { get; init; } = "";
    public string? LastVerifiedAt { get; init; }
    public string? LastId { get; init; }
    public string? LastStatus { get; init; }
    public string? LastStartedAt { get; init; }
    public string? LastError { get; init; }
}

internal sealed record DbServerRecord(string Name, string UrlEnc, string CreatedAt);
