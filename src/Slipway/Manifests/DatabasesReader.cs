using System.Text.Json;
using System.Text.RegularExpressions;

namespace Slipway.Manifests;

/// <summary>Reads the top-level "databases": { "main": { "type": "postgres" }, "cache": { "type": "redis" } }.</summary>
internal static partial class DatabasesReader
{
    private const string Example = "\"databases\": { \"main\": { \"type\": \"postgres\" } }";

    public static readonly IReadOnlyDictionary<string, DatabaseType> Types = new Dictionary<string, DatabaseType>
    {
        ["postgres"] = DatabaseType.Postgres, ["redis"] = DatabaseType.Redis,
    };

    [GeneratedRegex("^[a-z][a-z0-9_]{0,19}$")]
    public static partial Regex NamePattern();

    [GeneratedRegex(@"^[0-9]+(kb|mb|gb)$", RegexOptions.IgnoreCase)]
    private static partial Regex MemoryPattern();

    public static IReadOnlyList<DatabaseSpec> Read(ManifestObject root, ManifestDiagnostics diagnostics)
    {
        var databases = new List<DatabaseSpec>();
        if (root.Raw("databases") is not { } map)
        {
            return databases;
        }
        if (map.ValueKind != JsonValueKind.Object)
        {
            root.Error("databases", $"expected an object of databases by name, e.g. {Example}; got {ManifestObject.Describe(map)}");
            return databases;
        }
        var vars = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in map.EnumerateObject())
        {
            var path = ManifestDiagnostics.Join("databases", property.Name);
            if (!NamePattern().IsMatch(property.Name))
            {
                diagnostics.Error(path, $"\"{property.Name}\" cannot be a database name: use 1-20 lowercase letters, digits and _, starting with a letter (like main or cache)");
                continue;
            }
            if (ManifestObject.Open(property.Value, path, diagnostics, ManifestKeys.DatabaseKeys) is not { } db)
            {
                continue;
            }
            var type = db.Enum("type", Types) ?? DatabaseType.Postgres;
            var name = db.String("var", "a variable name like \"DATABASE_URL\"") ?? DatabaseSpec.DefaultVar(type);
            if (!ManifestKeys.EnvKeyPattern().IsMatch(name) || ManifestKeys.ReservedEnv.Contains(name))
            {
                db.Error("var", $"\"{name}\" cannot be a variable: use letters, digits and _ (not starting with a digit), and not PORT or HOST");
            }
            else if (!vars.Add(name))
            {
                db.Error("var", $"{name} is already the URL of another database; give this one its own, like \"{property.Name.ToUpperInvariant()}_URL\"");
            }
            var memory = db.String("maxMemory", "a size like \"256mb\"");
            if (memory is not null && (type != DatabaseType.Redis || !MemoryPattern().IsMatch(memory)))
            {
                db.Error("maxMemory", type != DatabaseType.Redis
                    ? "maxMemory applies to redis databases only; remove it"
                    : $"expected a size like \"256mb\" or \"1gb\", got {ManifestObject.Quote(memory)}");
            }
            var backups = new BackupPolicy();
            if (db.Object("backups", ManifestKeys.DatabaseBackupKeys) is { } b)
            {
                if (type != DatabaseType.Postgres)
                {
                    db.Error("backups", "backups apply to postgres databases only (redis keeps an append-only file); remove it");
                }
                var schedule = b.String("schedule", "cron fields like \"0 3 * * *\"");
                if (schedule is not null && !BackupSchedule.IsValid(schedule))
                {
                    b.Error("schedule", $"expected five cron fields (minute hour day-of-month month day-of-week) like \"0 3 * * *\", or six with seconds first, got {ManifestObject.Quote(schedule)}");
                    schedule = null;
                }
                backups = new BackupPolicy
                {
                    Schedule = schedule ?? backups.Schedule,
                    KeepDaily = b.Int("keepDaily", 1, 366) ?? backups.KeepDaily,
                    KeepWeekly = b.Int("keepWeekly", 0, 520) ?? backups.KeepWeekly,
                };
            }
            databases.Add(new DatabaseSpec { Name = property.Name, Type = type, Var = name, MaxMemory = memory?.ToLowerInvariant(), Backups = backups });
        }
        return databases;
    }
}
