using System.Formats.Tar;
using System.IO.Compression;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Slipway.Deploy;

namespace Slipway.Api;

/// <summary>`slipway deploy DIR` against a platform elsewhere: the CLI snapshots the directory (the same files a
/// local deploy takes: no .git, node_modules or ignored files), sends it as a .tar.gz, and the platform deploys
/// the unpacked copy. The archive is checked entry by entry: only files, directories and links that stay inside,
/// no absolute or ".." names, and at most <see cref="MaxUnpacked"/> bytes unpacked (no gzip bombs).</summary>
internal static class UploadEndpoints
{
    /// <summary>The largest archive accepted (`--max-upload` later); the CLI says so before sending.</summary>
    public const long MaxArchive = 200L * 1024 * 1024;

    public const long MaxUnpacked = 1024L * 1024 * 1024;
    private static readonly TimeSpan KeptUploads = TimeSpan.FromHours(6);

    public static void MapUploadApi(this IEndpointRouteBuilder api, string uploadsDir)
    {
        api.MapPost("/v1/apps/{app}/deployments/upload", async (string app, string? hosts, DeployEngine engine, TimeProvider clock, HttpContext context) =>
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = MaxArchive;
            }
            if (context.Request.ContentLength is > MaxArchive)
            {
                throw new UserException($"The upload is {context.Request.ContentLength:N0} bytes; at most {MaxArchive / 1024 / 1024} MB is accepted. " +
                    "Leave build output and large assets out (.gitignore), or deploy from a git URL.", 413);
            }
            Prune(uploadsDir, clock.GetUtcNow() - KeptUploads);
            var dir = Path.Combine(uploadsDir, State.Ids.New("up"));
            Directory.CreateDirectory(dir);
            try
            {
                await UnpackAsync(context.Request.Body, dir, context.RequestAborted);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
            {
                Directory.Delete(dir, recursive: true);
                throw new UserException($"The upload is not a gzipped tar archive of a directory ({e.Message}).");
            }
            catch
            {
                Directory.Delete(dir, recursive: true);
                throw;
            }
            var scope = AppScope.Of(context, app);
            var hostList = hosts?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            ApiEndpoints.DemandNewHosts(context, context.RequestServices.GetRequiredService<AppHosts>(), scope, hostList);
            return Results.Accepted(null, AppViews.Deployment(engine.Enqueue(new DeployRequest(scope, dir, null, hostList))));
        }).RequireAccess(Access.Permission.Deploy, "deploy");
    }

    /// <summary>Unpacks a .tar.gz into <paramref name="dir"/>, refusing anything that would land outside it.</summary>
    public static async Task UnpackAsync(Stream body, string dir, CancellationToken token)
    {
        var root = Path.GetFullPath(dir) + Path.DirectorySeparatorChar;
        await using var gzip = new GZipStream(body, CompressionMode.Decompress);
        await using var reader = new TarReader(gzip);
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
                throw new UserException($"The upload names '{entry.Name}', outside its directory; nothing was deployed.");
            }
            var target = Path.GetFullPath(Path.Combine(dir, name));
            if (!target.StartsWith(root, StringComparison.Ordinal) && target + Path.DirectorySeparatorChar != root)
            {
                throw new UserException($"The upload names '{entry.Name}', outside its directory; nothing was deployed.");
            }
            // A link unpacked earlier must never be written through: checked on disk, component by component, since a
            // chain of links that each look inside can lead outside together (x/d -> ../c, x/d/e -> ../..).
            if (LinkOnTheWay(root, target) is { } link)
            {
                throw new UserException($"The upload writes '{entry.Name}' through its own link '{Path.GetRelativePath(root, link)}'; " +
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
                        throw new UserException($"The upload unpacks to more than {MaxUnpacked / 1024 / 1024} MB; nothing was deployed.", 413);
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
                        throw new UserException($"The upload's link '{entry.Name}' points outside its directory ({entry.LinkName}); nothing was deployed.");
                    }
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.CreateSymbolicLink(target, entry.LinkName);
                    break;
                default:
                    throw new UserException($"The upload holds '{entry.Name}', a {entry.EntryType} entry: only files, directories and links are deployed.");
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

    /// <summary>Uploads are copied into their build at once; what is left of older ones goes.</summary>
    private static void Prune(string uploadsDir, DateTimeOffset before)
    {
        if (!Directory.Exists(uploadsDir))
        {
            return;
        }
        foreach (var old in new DirectoryInfo(uploadsDir).EnumerateDirectories().Where(d => d.CreationTimeUtc < before.UtcDateTime))
        {
            try
            {
                old.Delete(recursive: true);
            }
            catch (IOException)
            {
                // In use by a build that copies it now: the next upload tries again.
            }
        }
    }
}
