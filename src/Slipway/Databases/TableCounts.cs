using System.Text.Json;
using Npgsql;

namespace Slipway.Databases;

/// <summary>Every user table of a database with its exact row count: what a backup's verification compares.</summary>
internal static class TableCounts
{
    private const string ListSql = """
        select quote_ident(n.nspname) || '.' || quote_ident(c.relname)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
        order by 1
        """;

    public static async Task<SortedDictionary<string, long>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken token)
    {
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(ListSql, connection, transaction))
        await using (var reader = await list.ExecuteReaderAsync(token))
        {
            while (await reader.ReadAsync(token))
            {
                tables.Add(reader.GetString(0));
            }
        }
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            await using var count = new NpgsqlCommand($"select count(*) from {table}", connection, transaction);
            counts[table] = (long)(await count.ExecuteScalarAsync(token))!;
        }
        return counts;
    }

    public static string ToJson(IReadOnlyDictionary<string, long> counts) => JsonSerializer.Serialize(counts);

    public static Dictionary<string, long> FromJson(string? json) =>
        json is null ? [] : JsonSerializer.Deserialize<Dictionary<string, long>>(json) ?? [];

    /// <summary>The differences between what a backup recorded and what its restore holds; empty when they match.</summary>
    public static IReadOnlyList<string> Compare(IReadOnlyDictionary<string, long> expected, IReadOnlyDictionary<string, long> restored)
    {
        var problems = new List<string>();
        foreach (var (table, rows) in expected)
        {
            if (!restored.TryGetValue(table, out var got))
            {
                problems.Add($"table {table} is missing");
            }
            else if (got != rows)
            {
                problems.Add($"table {table} has {got} rows, expected {rows}");
            }
        }
        problems.AddRange(restored.Keys.Except(expected.Keys).Select(t => $"unexpected table {t}"));
        return problems;
    }
}
