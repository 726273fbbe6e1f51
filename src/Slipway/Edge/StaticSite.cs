using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace Slipway.Edge;

/// <summary>Serves a static service's built directory (<paramref name="allowedRoot"/>: the build it belongs to). PhysicalFileProvider refuses any path that would
/// leave the root, whatever its encoding, and files whose own name starts with a dot (files inside dotted
/// folders such as .well-known/ are served). A path with no file answers 404 with the site's own 404.html when
/// it has one. SPA mode (declared with "spa": true) answers index.html for client routes (paths whose last
/// segment has no known file extension: /users/john.doe is a route), but a missing asset stays a real 404.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification =
    "PhysicalFileProvider.Dispose only stops a file watcher, and Watch is never called; a site lives as long as the route tables that hold it, which requests may still read after a swap")]
internal sealed partial class StaticSite(string root, bool spa, string allowedRoot)
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();
    private readonly PhysicalFileProvider _files = new(root);

    // The output directory itself may be a link a build made (`ln -s / dist`): it must really lie inside the
    // build it belongs to, or nothing is served.
    private readonly string? _realRoot = RealPaths.Resolve(root) is { } real && RealPaths.IsUnder(real, allowedRoot) ? real : null;

    public string Root { get; } = root;

    public async Task ServeAsync(HttpContext context, string path, bool cleanUrls = false)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "GET, HEAD";
            return;
        }
        var file = Resolve(path, cleanUrls);
        // What is sent is the file's real path, checked to be under the root: a symlink made by the build may
        // point anywhere, and a link's own size is not its target's.
        var real = RealPathOf(file);
        if (file is null || real is null)
        {
            if (RealPathOf(_files.GetFileInfo("/404.html")) is { } notFound)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                context.Response.ContentType = "text/html; charset=utf-8";
                context.Response.Headers.CacheControl = "no-cache";
                await context.Response.SendFileAsync(notFound, context.RequestAborted);
                return;
            }
            await ErrorPages.WriteAsync(context, StatusCodes.Status404NotFound, "Not found", $"No file at {path}.");
            return;
        }
        var info = new FileInfo(real);
        context.Response.Headers.CacheControl = CacheControl(path, file.Name);
        // ETag and Last-Modified from the file itself (as nginx does), so conditional requests get 304 and
        // range requests (video, resumable downloads) get 206 from ASP.NET Core's own file result.
        var modified = new DateTimeOffset(info.LastWriteTimeUtc);
        var etag = new EntityTagHeaderValue($"\"{info.LastWriteTimeUtc.Ticks:x}-{info.Length:x}\"");
        var type = ContentTypes.TryGetContentType(file.Name, out var known) ? known : "application/octet-stream";
        await TypedResults.PhysicalFile(real, type, lastModified: modified, entityTag: etag, enableRangeProcessing: true).ExecuteAsync(context);
    }

    /// <summary>Fingerprinted assets ("index-BkXq3x9a.js", "main.3f2a1b4c.css", anything under Vite's assets/ or
    /// Next's _next/static/) never change under their name: browsers keep them a year without asking. HTML and
    /// everything else is revalidated on each use (a 304 when unchanged), so a deploy shows at once.</summary>
    private static string CacheControl(string path, string name)
    {
        if (name.EndsWith(".html", StringComparison.OrdinalIgnoreCase))
        {
            return "no-cache";
        }
        var fingerprint = Fingerprint().Match(name);
        var hashed = fingerprint.Success && (fingerprint.Groups[1].Value.Any(char.IsAsciiDigit) ||
            path.StartsWith("/assets/", StringComparison.Ordinal) || path.StartsWith("/_next/static/", StringComparison.Ordinal));
        return hashed ? "public, max-age=31536000, immutable" : "public, max-age=0, must-revalidate";
    }

    [GeneratedRegex(@"[.-]([A-Za-z0-9_-]{8,64})\.[A-Za-z0-9]+$")]
    private static partial Regex Fingerprint();

    /// <summary>Whether a file of the output answers <paramref name="path"/> (itself, its clean URL page or its
    /// directory's index.html; not the SPA fallback): the filesystem comes before rewrites.</summary>
    public bool HasFile(string path, bool cleanUrls) => RealPathOf(Resolve(path, cleanUrls, fallback: false)) is not null;

    /// <summary>Whether <paramref name="path"/> resolves to an HTML page of the output ("/", "/index" with cleanUrls,
    /// "/docs/" all name an index.html): a rewrite to it is a page fallback.</summary>
    public bool IsPage(string path, bool cleanUrls) =>
        Resolve(path, cleanUrls, fallback: false) is { } file && IsHtml(file.Name) && RealPathOf(file) is not null;

    /// <summary>Whether <paramref name="path"/> names a file rather than a client route: its last segment ends in an
    /// extension of a known static file type ("app.js", "favicon.ico"), other than a page. Not any dot:
    /// "/users/john.doe" and "/v1.2" are routes of a single-page app. A hidden file (".env") is a file too.</summary>
    public static bool IsAsset(string path)
    {
        var last = path[(path.LastIndexOf('/') + 1)..];
        return last.StartsWith('.') || (last.Contains('.') && !IsHtml(last) && ContentTypes.TryGetContentType(last, out _));
    }

    public static bool IsHtml(string name) =>
        name.EndsWith(".html", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".htm", StringComparison.OrdinalIgnoreCase);

    private string? RealPathOf(IFileInfo? file) =>
        file is { Exists: true, IsDirectory: false, PhysicalPath: { } physical } && _realRoot is not null &&
        RealPaths.Resolve(physical) is { } real && RealPaths.IsUnderResolved(real, _realRoot) ? real : null;

    private IFileInfo? Resolve(string path, bool cleanUrls, bool fallback = true)
    {
        if (path.Contains('\\') || path.Contains('\0'))
        {
            return null;
        }
        var file = _files.GetFileInfo(path);
        if (file.Exists && !file.IsDirectory)
        {
            return file;
        }
        if (cleanUrls && !path.EndsWith('/') && _files.GetFileInfo(path + ".html") is { Exists: true, IsDirectory: false } page)
        {
            return page;
        }
        var index = _files.GetFileInfo(path.TrimEnd('/') + "/index.html");
        if (index.Exists)
        {
            return index;
        }
        if (fallback && spa && !IsAsset(path))
        {
            var root = _files.GetFileInfo("/index.html");
            return root.Exists ? root : null;
        }
        return null;
    }
}
