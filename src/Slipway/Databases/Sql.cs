namespace Slipway.Databases;

internal static class Sql
{
    public static string Ident(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>The database and role name of an environment's database: app_KEY_NAME (at most 63 bytes).</summary>
    public static string NameFor(string key, string name)
    {
        var full = $"app_{key.Replace('-', '_')}_{name}";
        return full.Length <= 63 ? full : full[..54] + "_" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(full)))[..8];
    }
}
