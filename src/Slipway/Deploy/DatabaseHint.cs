namespace Slipway.Deploy;

/// <summary>A release (migrations) or a starting app that found no database where a local default points (its
/// driver's default, or a localhost URL in the code) while the environment has no database at all: the usual first
/// deploy of an app whose database was never created. Not given when the app has a DATABASE_URL or the environment
/// has a database under any variable name (then the failure is that database's, or the app reads another name).</summary>
internal static class DatabaseHint
{
    public static string For(AppRef owner, IReadOnlyDictionary<string, string> variables, IReadOnlyList<string> resourceVariables,
        IReadOnlyList<string> lines)
    {
        if (variables.ContainsKey("DATABASE_URL") || resourceVariables.Count > 0 || !lines.Any(LocalPostgresRefused))
        {
            return "";
        }
        return $". It could not reach PostgreSQL on this machine's port 5432 and the app has no DATABASE_URL: " +
            $"'slipway db create {owner.Flags}' gives it a database (its URL becomes the secret DATABASE_URL), then deploy again";
    }

    private static bool LocalPostgresRefused(string line) =>
        (line.Contains("ECONNREFUSED", StringComparison.Ordinal) || line.Contains("refused", StringComparison.OrdinalIgnoreCase)) &&
        (line.Contains(":5432", StringComparison.Ordinal) || line.Contains("port 5432", StringComparison.Ordinal));
}
