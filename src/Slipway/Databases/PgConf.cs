namespace Slipway.Databases;

/// <summary>Writes values into postgresql.conf safely, whatever the paths hold: a data directory with a space, a quote
/// or a percent sign must still give a server that starts and archives.</summary>
internal static class PgConf
{
    /// <summary>A string setting: single-quoted, a quote inside doubled and a backslash too (the file's parser reads
    /// backslash escapes in quoted values).</summary>
    public static string Literal(string value) =>
        "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>unix_socket_directories is a comma-separated list whose entries are double-quoted when they hold
    /// blanks or commas.</summary>
    public static string SocketDirectory(string dir) => Literal("\"" + dir.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"");

    /// <summary>A path inside archive_command or restore_command, which PostgreSQL hands to /bin/sh after replacing %f,
    /// %p and %%: quoted for the shell (single quotes; a quote inside ends the quoting, is escaped, and resumes it),
    /// its percent signs doubled.</summary>
    public static string ShellPath(string path) =>
        ("'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'").Replace("%", "%%", StringComparison.Ordinal);

    /// <summary>archive_command: gzip each finished segment into <paramref name="archiveDir"/>, written under a
    /// temporary name and renamed, never over a segment already there (PostgreSQL retries a failed one).</summary>
    public static string ArchiveCommand(string archiveDir)
    {
        var dir = ShellPath(archiveDir);
        return $"test ! -f {dir}/%f.gz && gzip -c %p > {dir}/%f.gz.tmp && mv {dir}/%f.gz.tmp {dir}/%f.gz";
    }

    /// <summary>restore_command: a segment from <paramref name="archiveDir"/>, failing (so recovery ends there) when it is
    /// not in the archive.</summary>
    public static string RestoreCommand(string archiveDir)
    {
        var dir = ShellPath(archiveDir);
        return $"test -f {dir}/%f.gz && gunzip -c {dir}/%f.gz > %p";
    }
}
