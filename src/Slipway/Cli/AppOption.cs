using System.CommandLine;
using System.Text.Json;

namespace Slipway.Cli;

internal static class AppOption
{
    /// <summary>--app, defaulting to the name in ./slipway.json (as `vercel` and `railway` link a directory to a
    /// project); without either, the command says how to give it.</summary>
    public static Option<string> Required() => new("--app", "-a")
    {
        Description = "The app's name (default: \"name\" in ./slipway.json)",
        DefaultValueFactory = result =>
        {
            if (LinkedName(Directory.GetCurrentDirectory()) is { } name)
            {
                return name;
            }
            result.AddError("--app is required: name the app (--app shop), or run this in its source directory, whose slipway.json has a \"name\".");
            return "";
        },
    };

    public static Option<string> Optional(string description) => new("--app", "-a") { Description = description };

    /// <summary>The "name" of <paramref name="dir"/>/slipway.json, if it has one.</summary>
    internal static string? LinkedName(string dir)
    {
        var path = Path.Combine(dir, Manifests.ManifestLoader.FileName);
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path),
                new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("name", out var name) &&
                   name.ValueKind == JsonValueKind.String && name.GetString() is { Length: > 0 } value ? value : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }
}
