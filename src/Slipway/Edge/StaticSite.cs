using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace Slipway.Edge;

/// <summary>Serves a static service's built directory (<paramref name="allowedRoot"/>: the build it belongs to). PhysicalFileProvider refuses any path that would
/// leave the root, whatever its encoding, and files whose own name starts with a dot (files inside dotted
/// folders such as .well-known/ are served). SPA mode answers index.html for client routes
/// (paths whose last segment has no extension), but a missing asset stays a real 404.</summary>
internal sealed class StaticSite(string root, bool spa, string allowedRoot)
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();
    private readonly PhysicalFileProvider _files = new(root);

    // The output directory itself may be a link a build made (`ln -s / dist`): it must really lie inside the
    // build it belongs to, or nothing is served.
    private readonly string? _realRoot = RealPaths.Resolve(root) is { } real && RealPaths.IsUnder(real, allowedRoot) ? real : null;

    public string Root { get; } = root;

    public async Task ServeAsync(HttpContext context, string path)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "GET, HEAD";
            return;
        }
        var file = Resolve(path);
        // What is sent is the file's real path, checked to be under the root: a symlink made by the build may
        // point anywhere, and a link's own size is not its target's.
        var real = file?.PhysicalPath is { } physical && _realRoot is not null ? RealPaths.Resolve(physical) : null;
        if (file is null || real is null || !RealPaths.IsUnderResolved(real, _realRoot!))
        {
            await ErrorPages.WriteAsync(context, StatusCodes.Status404NotFound, "Not found", $"No file at {path}.");
            return;
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ContentTypes.TryGetContentType(file.Name, out var type) ? type : "application/octet-stream";
        context.Response.ContentLength = new FileInfo(real).Length;
        context.Response.Headers.CacheControl = file.Name == "index.html" ? "no-cache" : "public, max-age=300";
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }
        await context.Response.SendFileAsync(real, context.RequestAborted);
    }

    private IFileInfo? Resolve(string path)
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
        var index = _files.GetFileInfo(path.TrimEnd('/') + "/index.html");
        if (index.Exists)
        {
            return index;
        }
        var lastSegment = path[(path.LastIndexOf('/') + 1)..];
        if (spa && !lastSegment.Contains('.'))
        {
            var root = _files.GetFileInfo("/index.html");
            return root.Exists ? root : null;
        }
        return null;
    }
}
