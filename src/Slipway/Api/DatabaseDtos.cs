using Slipway.Databases;

namespace Slipway.Api;

internal sealed record DatabaseCreateBody(string? Name, string? Type, string? Var, string? Server, string? MaxMemory, string? Schedule, bool Create = false);

internal sealed record DatabaseDto(string Name, string Type, string Env, string Server, string Database, string Var, string CreatedAt, string Schedule, bool Attached);

internal sealed record DatabaseCreatedDto(DatabaseDto Database, DeploymentDto? Deployment);

internal sealed record DatabaseUrlDto(string Name, string Var, string Url);

internal sealed record BackupDto(string Id, string App, string Database, string Kind, string Status, long? SizeBytes, long? DurationMs,
    string StartedAt, string? FinishedAt, int Tables, long Rows, string? Error);

internal sealed record RestoreBody(string? ToNew);

internal sealed record AttachBody(string Detached);

internal sealed record RestoreDto(string Database, string? SafetyBackup, long Milliseconds);

internal sealed record BranchBody(string From, string? Name);

internal sealed record BranchDto(string Database, bool Created, long Bytes, long Milliseconds, long CopyMilliseconds, long SwitchMilliseconds, DeploymentDto? Deployment,
    string? SafetyBackup = null);

internal sealed record ServerBody(string Name, string Url);

internal sealed record ClusterDto(bool Initialized, int? Pid, int Restarts, string Root, int BaseBackups, string? OldestRecoverable);

internal sealed record RecoverBody(string At, string ToNew);

internal static class DatabaseViews
{
    public static DatabaseDto Of(DatabaseRecord d) =>
        new(d.Name, d.Type, d.Env, d.Server, d.DbName, d.VarName, d.CreatedAt, d.Type == DatabaseRecord.Postgres ? d.ParsedSettings.Schedule : "", d.App.Length > 0);

    public static BackupDto Of(BackupRecord b)
    {
        var tables = TableCounts.FromJson(b.TablesJson);
        return new BackupDto(b.Id, b.App, b.DbName, b.Kind, b.Status, b.SizeBytes, b.DurationMs, b.StartedAt, b.FinishedAt, tables.Count, tables.Values.Sum(), b.Error);
    }
}

/// <summary>A database server `db server add` registered (its URL stays sealed, never answered).</summary>
internal sealed record DbServerDto(string Name, string CreatedAt);
