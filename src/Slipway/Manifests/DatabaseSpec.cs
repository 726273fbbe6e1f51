using System.Text.Json.Serialization;

namespace Slipway.Manifests;

[JsonConverter(typeof(KebabCaseEnumConverter<DatabaseType>))]
internal enum DatabaseType { Postgres, Redis }

/// <summary>One entry of the manifest's "databases": a database every environment of the app gets its own
/// copy of, reached through the config var <see cref="Var"/>.</summary>
internal sealed record DatabaseSpec
{
    /// <summary>The key in "databases" (like "main" or "cache").</summary>
    public required string Name { get; init; }

    public DatabaseType Type { get; init; } = DatabaseType.Postgres;

    /// <summary>The config var that carries the connection URL (a secret): DATABASE_URL or REDIS_URL by default.</summary>
    public required string Var { get; init; }

    /// <summary>Redis: maxmemory, like "256mb"; null for Slipway's default.</summary>
    public string? MaxMemory { get; init; }

    public BackupPolicy Backups { get; init; } = new();

    public static string DefaultVar(DatabaseType type) => type == DatabaseType.Redis ? "REDIS_URL" : "DATABASE_URL";
}

/// <summary>Postgres: when logical backups run and how many are kept.</summary>
internal sealed record BackupPolicy
{
    /// <summary>Cron: five fields, or six with seconds first. Default daily at 03:00 UTC.</summary>
    public string Schedule { get; init; } = "0 3 * * *";

    public int KeepDaily { get; init; } = 7;

    public int KeepWeekly { get; init; } = 4;
}
