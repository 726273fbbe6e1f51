using System.Formats.Tar;
using System.IO.Compression;

namespace Slipway.Builds;

/// <summary>A source that arrives as an archive (an upload from `slipway deploy DIR` elsewhere, a pushed commit
/// exported by git): unpacked entry by entry, only files, directories and links that stay inside, no absolute or
/// ".." names, never written through a link it holds, at most <see cref="MaxUnpacked"/> bytes (no gzip bombs).</summary>
internal static class SourceArchive
{
    public const long MaxUnpacked = 1024L * 1024 * 1024;

    /// <summary>Unpacks a .tar.gz into <paramref name="dir"/>, refusing anything that would land outside it;
    /// <paramref name="what"/> names the archive in errors ("upload", "push").</summary>
    public static async Task UnpackAsync(Stream gzipped, string dir, string what, CancellationToken token)
    {
        await using var gzip = new GZipStream(gzipped, CompressionMode.Decompress);
        await UnpackTarAsync(gzip, dir, what, token);
    }

    /// <summary>Unpacks a plain tar stream into <paramref name="dir"/> with the same checks.</summary>
    public static async Task UnpackTarAsync(Stream tar, string dir, string what, CancellationToken token)
    {
        var root = Path.GetFullPath(dir) + Path.DirectorySeparatorChar;
        // The caller owns the stream: a producer behind it (git archive) still writes the end's padding after the last entry.
        await using var reader = new TarReader(tar, leaveOpen: true);
        long unpacked = 0;
        while (await reader.GetNextEntryAsync(copyData: false, token) is { } entry)
        {
            var name = entry.Name.Replace('\\', '/');
            while (name.StartsWith("./", StringComparison.Ordinal))
            {
                name = name[2..];
            }
            if (name is "" or "." or "./")
            {
                continue;
            }
            if (entry.Name.StartsWith('/') || name.Split('/').Any(part => part == ".."))
            {
                throw new UserException($"The {what} names '{entry.Name}', outside its directory; nothing was deployed.");
            }
            var target = Path.GetFullPath(Path.Combine(dir, name));
            if (!target.StartsWith(root, StringComparison.Ordinal) && target + Path.DirectorySeparatorChar != root)
            {
                throw new UserException($"The {what} names '{entry.Name}', outside its directory; nothing was deployed.");
            }
            // A link unpacked earlier must never be written through: checked on disk, component by component, since a
            // chain of links that each look inside can lead outside together (x/d -> ../c, x/d/e -> ../..).
            if (LinkOnTheWay(root, target) is { } link)
            {
                throw new UserException($"The {what} writes '{entry.Name}' through its own link '{Path.GetRelativePath(root, link)}'; " +
                    "an upload may not put entries under a link it holds. Nothing was deployed.");
            }
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(target);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    unpacked += entry.Length;
                    if (unpacked > MaxUnpacked)
                    {
                        throw new UserException($"The {what} unpacks to more than {MaxUnpacked / 1024 / 1024} MB; nothing was deployed.", 413);
                    }
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    await using (var file = File.Create(target))
                    {
                        if (entry.DataStream is { } data)
                        {
                            await data.CopyToAsync(file, token);
                        }
                    }
                    if ((entry.Mode & UnixFileMode.UserExecute) != 0)
                    {
                        File.SetUnixFileMode(target, File.GetUnixFileMode(target) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
                    }
                    break;
                case TarEntryType.SymbolicLink:
                    // A link may point only within the upload (relative, resolving inside it).
                    var resolved = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(target)!, entry.LinkName));
                    if (Path.IsPathRooted(entry.LinkName) || !resolved.StartsWith(root, StringComparison.Ordinal))
                    {
                        throw new UserException($"The {what}'s link '{entry.Name}' points outside its directory ({entry.LinkName}); nothing was deployed.");
                    }
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.CreateSymbolicLink(target, entry.LinkName);
                    break;
                case TarEntryType.GlobalExtendedAttributes:
                    break; // git archive's header naming the commit: nothing to unpack
                default:
                    throw new UserException($"The {what} holds '{entry.Name}', a {entry.EntryType} entry: only files, directories and links are deployed.");
            }
        }
    }

    /// <summary>The first existing path from <paramref name="root"/> down to <paramref name="target"/> (itself included)
    /// that is a symbolic link, or null.</summary>
    private static string? LinkOnTheWay(string root, string target)
    {
        var path = root.TrimEnd(Path.DirectorySeparatorChar);
        foreach (var part in Path.GetRelativePath(root, target).Split(Path.DirectorySeparatorChar))
        {
            path = Path.Combine(path, part);
            var info = new FileInfo(path);
            if (info.LinkTarget is not null)
            {
                return path;
            }
            if (!info.Exists && !Directory.Exists(path))
            {
                return null;
            }
        }
        return null;
    }
}
