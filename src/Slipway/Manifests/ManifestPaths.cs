using System.Text.Json.Nodes;

namespace Slipway.Manifests;

/// <summary>Key paths in a slipway.json held as a <see cref="JsonNode"/>, spelled as errors spell them:
/// <c>services.web.start</c>, <c>routes.cleanUrls</c>, and an item of a list merged by name by its name,
/// <c>crons["daily-sync"].schedule</c>. <see cref="ManifestMerge"/> reports conflicts at these paths and the
/// converters record under them where each value came from, so both spell them through here.</summary>
internal static class ManifestPaths
{
    /// <summary>Lists whose items are identified by their "name": an item in both files merges key by key.</summary>
    public static readonly IReadOnlyList<string> NamedLists = ["crons"];

    /// <summary><c>crons["daily-sync"]</c> for an item of a named list that has a name, else <c>list[index]</c>.</summary>
    public static string Item(string listPath, JsonNode? item, int index) =>
        NamedLists.Contains(listPath) && Name(item) is { } name ? Named(listPath, name) : $"{listPath}[{index}]";

    /// <summary><c>crons["daily-sync"]</c>: the item of a named list with that name.</summary>
    public static string Named(string listPath, string name) => $"{listPath}[\"{name}\"]";

    public static string? Name(JsonNode? item) =>
        item is JsonObject fields && fields["name"] is JsonValue name && name.TryGetValue<string>(out var text) ? text : null;

    /// <summary>Every node in <paramref name="node"/> with its path, each before the nodes it holds.</summary>
    public static IEnumerable<(string Path, JsonNode? Node)> Walk(JsonNode? node, string path = "")
    {
        yield return (path, node);
        var children = node switch
        {
            JsonObject fields => fields.Select(field => (ManifestDiagnostics.Join(path, field.Key), field.Value)),
            JsonArray items => items.Select((item, index) => (Item(path, item, index), item)),
            _ => [],
        };
        foreach (var (childPath, child) in children)
        {
            foreach (var descendant in Walk(child, childPath))
                yield return descendant;
        }
    }
}
