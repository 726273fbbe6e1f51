namespace Slipway.Databases;

internal static class Sql
{
    public static string Ident(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>The database and role name of an environment's database: app_KEY_NAME (at most 63 bytes).</summary>
    public static string NameFor(string key, string name)
    {
        var full = $"app_{key.Replace('-', '_')}_{name}";
        return full.Length <= 63 ? full : full[..54] + "_" + Hash8(full);
    }

    /// <summary>The name when <see cref="NameFor"/> is taken by another database: '-' in an app name and '_' in
    /// a database name both become '_' (app "a" database "b_main" and app "a-b" database "main" are both
    /// app_a_b_main), so the suffix hashes the key and name apart.</summary>
    public static string DistinctNameFor(string key, string name)
    {
        var full = $"app_{key.Replace('-', '_')}_{name}";
        return (full.Length <= 54 ? full : full[..54]) + "_" + Hash8(key + "/" + name);
    }

    private static string Hash8(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..8];
}
