using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace Slipway.Edge;

/// <summary>Serves a static service's built directory. PhysicalFileProvider refuses any path that would
/// leave the root, whatever its encoding, and files whose own name starts with a dot (files inside dotted
/// folders such as .well-known/ are served). SPA mode answers index.html for client routes
/// (paths whose last segment has no extension), but a missing asset stays a real 404.</summary>
internal sealed class StaticSite(string root, bool spa)
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();
    private readonly PhysicalFileProvider _files = new(root);
    private readonly string _realRoot = RealPath(root).TrimEnd('/') + "/";

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
        if (file is null)
        {
            await ErrorPages.WriteAsync(context, StatusCodes.Status404NotFound, "Not found", $"No file at {path}.");
            return;
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ContentTypes.TryGetContentType(file.Name, out var type) ? type : "application/octet-stream";
        context.Response.ContentLength = file.Length;
        context.Response.Headers.CacheControl = file.Name == "index.html" ? "no-cache" : "public, max-age=300";
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }
        await context.Response.SendFileAsync(file, context.RequestAborted);
    }

    /// <summary>A symlink the build created may point anywhere: the file served must really be under the root.</summary>
    private bool InsideRoot(IFileInfo file) =>
        file.PhysicalPath is { } physical && RealPath(physical).StartsWith(_realRoot, StringComparison.Ordinal);

    private static string RealPath(string path)
    {
        // Resolve every linked directory on the way down, then the file itself.
        var parts = Path.GetFullPath(path).Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = "/";
        foreach (var part in parts)
        {
            current = Path.Combine(current, part);
            var link = new FileInfo(current).LinkTarget ?? new DirectoryInfo(current).LinkTarget;
            if (link is not null)
            {
                current = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(current)!, link));
            }
        }
        return current;
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
            return InsideRoot(file) ? file : null;
        }
        var index = _files.GetFileInfo(path.TrimEnd('/') + "/index.html");
        if (index.Exists)
        {
            return InsideRoot(index) ? index : null;
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
