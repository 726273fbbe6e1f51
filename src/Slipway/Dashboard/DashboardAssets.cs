using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Slipway.Dashboard;

/// <summary>The dashboard's files, embedded in the executable (Slipway.csproj: htmx from npm, our CSS, JS and icon from
/// Dashboard/assets/). Each is served at /assets/NAME?v=HASH: the hash of its bytes is in every link, so a browser may
/// keep a file for a year and a new build's page still asks for the new one.</summary>
internal sealed class DashboardAssets
{
    private const string Prefix = "Slipway.Dashboard.assets.";

    private static readonly FrozenDictionary<string, string> Types = new Dictionary<string, string>
    {
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private readonly FrozenDictionary<string, Asset> _assets;

    public DashboardAssets()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        _assets = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal))
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                var bytes = copy.ToArray();
                var name = n[Prefix.Length..];
                var hash = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
                return new Asset(name, bytes, Types.GetValueOrDefault(Path.GetExtension(name), "application/octet-stream"), hash);
            })
            .ToFrozenDictionary(a => a.Name, StringComparer.Ordinal);
        var all = _assets.Values.ToFrozenDictionary(a => a.Name, a => $"/assets/{a.Name}?v={a.Hash}", StringComparer.Ordinal);
        Links = new(Url("dashboard.css"), Url("htmx.min.js"), Url("dashboard.js"), Url("icon.svg"), all);
    }

    /// <summary>The links every page's head and header use, and every embedded file's by name.</summary>
    public AssetLinks Links { get; }

    /// <summary>/assets/NAME?v=HASH; a name the build did not embed is a bug (a missing npm install fails the build).</summary>
    public string Url(string name) => _assets.TryGetValue(name, out var asset)
        ? $"/assets/{name}?v={asset.Hash}"
        : throw new InvalidOperationException($"The dashboard asset {name} is not embedded in this build.");

    /// <summary>The file with year-long caching (its URL changes with its content), or 404.</summary>
    public IResult Serve(string name, HttpContext context)
    {
        if (!_assets.TryGetValue(name, out var asset))
        {
            return Results.NotFound();
        }
        // The API answers no-store to everything (ApiHardening); these files are the same for everyone and never change
        // under their URL. A link with another hash (a page from before an upgrade) gets today's file, not to be kept.
        context.Response.Headers.CacheControl = context.Request.Query["v"] == asset.Hash ? "public, max-age=31536000, immutable" : "no-cache";
        return Results.Bytes(asset.Bytes, asset.ContentType);
    }

    private sealed record Asset(string Name, byte[] Bytes, string ContentType, string Hash);
}
