using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Slipway.Errors;

/// <summary>Which issue an event belongs to. The SDK's fingerprint when it sends one ("{{ default }}" in it stands
/// for the default grouping); else the exception's type and its in-app frames (module or file, and function: never
/// line numbers, which move with every edit); else the type and its message with numbers and ids taken out; else the
/// message alone. File names lose what changes from build to build (a bundle's content hash, the host serving it), so
/// the same bug in the next release is the same issue, which is what makes a regression visible.</summary>
internal static partial class Grouping
{
    public static string Fingerprint(ErrorEvent e)
    {
        var parts = e.Fingerprint is { } custom
            ? custom.SelectMany(p => p.Trim() is "{{ default }}" or "{{default}}" ? Default(e) : [p]).ToList()
            : Default(e);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", parts))))[..32];
    }

    /// <summary>The default grouping's parts (also what <c>errors show</c> prints as "grouped by").</summary>
    public static List<string> Default(ErrorEvent e)
    {
        if (e.Main is not { } main)
        {
            return ["message", Normalize(e.Message ?? "")];
        }
        var frames = main.Frames.Where(f => f.InApp == true).ToList();
        if (frames.Count == 0)
        {
            frames = [.. main.Frames];
        }
        var parts = new List<string> { "type:" + main.Type };
        if (frames.Count == 0)
        {
            parts.Add("value:" + Normalize(main.Value ?? ""));
            return parts;
        }
        parts.AddRange(frames.Select(f => $"{f.Module ?? FileOf(f.Filename ?? f.AbsPath ?? "?")}|{f.Function ?? "?"}"));
        return parts;
    }

    /// <summary>A file as grouping sees it: no scheme and host, no query, no content hash in the name
    /// ("https://shop.example/assets/index-4f2a9c1b.js?v=3" → "assets/index.js").</summary>
    public static string FileOf(string file)
    {
        var path = file;
        var scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            var slash = path.IndexOf('/', scheme + 3);
            path = slash < 0 ? "" : path[(slash + 1)..];
        }
        path = path.Split('?', '#')[0].TrimStart('/', '.');
        return ContentHash().Replace(path, "");
    }

    private static string Normalize(string text)
    {
        var normalized = Ids().Replace(text, "<id>");
        normalized = Numbers().Replace(normalized, "<n>");
        return normalized.Length <= 300 ? normalized : normalized[..300];
    }

    // "index-4f2a9c1b.js", "main.3f9a2b1c7d.chunk.js", "page-a1b2c3d4e5f6a7b8.js": a separator, then 8+ letters and
    // digits with at least one digit, before the extension.
    [GeneratedRegex(@"[-.](?=[A-Za-z0-9_]*[0-9])[A-Za-z0-9_]{8,}(?=(\.chunk)?\.(m?js|cjs|css)$)")]
    private static partial Regex ContentHash();

    [GeneratedRegex(@"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b|\b[0-9a-fA-F]{16,}\b")]
    private static partial Regex Ids();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Numbers();
}
