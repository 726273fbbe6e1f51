namespace Slipway.Databases;

/// <summary>The system's PostgreSQL server and client programs, all from one version's bin directory
/// (pg_dump must not be older than the server it dumps). Debian keeps initdb and postgres off PATH, under
/// /usr/lib/postgresql/VERSION/bin.</summary>
internal sealed record PostgresBinaries(string BinDir, int Version)
{
    public const string InstallHint =
        "Install PostgreSQL's server programs: 'sudo apt-get install postgresql' (Debian/Ubuntu), 'sudo dnf install postgresql-server' (Fedora), " +
        "or 'brew install postgresql' (macOS); or set SLIPWAY_PG_BIN to the directory holding initdb and postgres.";

    private static readonly string[] Required = ["initdb", "postgres", "pg_ctl", "pg_dump", "pg_restore", "psql", "pg_basebackup"];

    public string Path(string program) => System.IO.Path.Combine(BinDir, program);

    /// <summary>The newest complete set found, or null.</summary>
    public static PostgresBinaries? Find()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("SLIPWAY_PG_BIN") is { Length: > 0 } configured)
        {
            candidates.Add(configured);
        }
        foreach (var root in new[] { "/usr/lib/postgresql", "/usr/pgsql", "/opt/homebrew/opt", "/usr/local/opt" })
        {
            if (Directory.Exists(root))
            {
                candidates.AddRange(Directory.GetDirectories(root).OrderByDescending(VersionOf).Select(d => System.IO.Path.Combine(d, "bin")));
            }
        }
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        foreach (var dir in candidates.Distinct())
        {
            if (Required.All(p => File.Exists(System.IO.Path.Combine(dir, p))))
            {
                return new PostgresBinaries(dir, VersionOf(System.IO.Path.GetDirectoryName(dir) ?? dir));
            }
        }
        return null;
    }

    /// <summary>The programs that are missing, for `slipway doctor`.</summary>
    public static IReadOnlyList<string> Missing() => Find() is null ? Required : [];

    public static PostgresBinaries Require() => Find() ?? throw new UserException("PostgreSQL is not installed on this machine. " + InstallHint);

    private static int VersionOf(string dir)
    {
        var name = System.IO.Path.GetFileName(dir.TrimEnd('/'));
        var digits = new string(name.SkipWhile(c => !char.IsDigit(c)).TakeWhile(char.IsDigit).ToArray());
        return int.TryParse(digits, out var v) ? v : 0;
    }
}
