using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Manifests;

/// <summary>Lays an app's own slipway.json over the slipway.json converted from its railway.json, vercel.json,
/// render.yaml, app.json or Procfile, so slipway.json only has to add what the other file cannot say.
/// <code>
///   converted (base)        slipway.json (over it)         merged
///   { "services": {         { "services": {                { "services": {
///       "web": {                "web": {                       "web": { "start": "npm start",
///         "start": ... } } }      "healthcheck": ... } },               "healthcheck": ... } },
///                             "databases": { ... } }         "databases": { ... } }
/// </code>
/// Objects merge key by key (services, databases and variables by name, then their settings). "crons" merge by
/// job name. Rule lists under "routes" are combined so that slipway.json's rule decides where a request matches
/// rules from both files: its rewrites, redirects, cors and rateLimits come first (the first match wins), its
/// headers last (a later rule's value for the same header wins). A value set in both files is a conflict unless
/// it is the same value; every conflict is reported, and slipway.json's value is kept so the rest of the
/// manifest can still be validated.</summary>
internal static class ManifestMerge
{
    /// <summary>Lists whose items are identified by their "name": an item in both files merges key by key.</summary>
    private static readonly IReadOnlyList<string> NamedLists = ["crons"];

    /// <summary>Rule lists where a later rule overrides an earlier one, so slipway.json's rules go last. In every
    /// other rule list the first matching rule wins, so slipway.json's go first.</summary>
    private static readonly IReadOnlyList<string> LaterRuleWins = ["routes.headers"];

    private static readonly JsonSerializerOptions ShowOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The merged manifest (a new object; neither input is changed) and one error per key set to different
    /// values in both, e.g. <c>services.web.start: set in both railway.json ("npm run serve") and slipway.json
    /// ("node server.js"); keep it in one of them</c>.</summary>
    /// <param name="convertedFrom">The file(s) <paramref name="converted"/> came from, for messages: "railway.json".</param>
    public static (JsonObject Merged, IReadOnlyList<ManifestError> Conflicts) Lay(JsonObject own, JsonObject converted,
        string convertedFrom)
    {
        var conflicts = new List<ManifestError>();
        var merged = Objects(converted, own, "", convertedFrom, conflicts);
        return (merged, conflicts);
    }

    private static JsonObject Objects(JsonObject under, JsonObject over, string path, string convertedFrom,
        List<ManifestError> conflicts)
    {
        var merged = (JsonObject)under.DeepClone();
        foreach (var (key, value) in over)
        {
            merged[key] = merged.TryGetPropertyValue(key, out var existing)
                ? Values(existing, value, ManifestDiagnostics.Join(path, key), convertedFrom, conflicts)
                : value?.DeepClone();
        }

        return merged;
    }

    private static JsonNode? Values(JsonNode? under, JsonNode? over, string path, string convertedFrom,
        List<ManifestError> conflicts)
    {
        if (under is JsonObject underObject && over is JsonObject overObject)
            return Objects(underObject, overObject, path, convertedFrom, conflicts);
        if (under is JsonArray underList && over is JsonArray overList)
        {
            if (NamedLists.Contains(path))
                return Named(underList, overList, path, convertedFrom, conflicts);
            if (IsRuleList(path))
                return Rules(underList, overList, LaterRuleWins.Contains(path));
        }

        if (JsonNode.DeepEquals(under, over))
            return over?.DeepClone();
        conflicts.Add(new ManifestError(path,
            $"set in both {convertedFrom} ({Show(under)}) and {ManifestLoader.FileName} ({Show(over)}); keep it in one of them"));
        return over?.DeepClone();
    }

    /// <summary>slipway.json's items in its own order (so "crons[0]" in an error is its first job), each merged
    /// with the converted item of the same name; then the converted items it does not name.</summary>
    private static JsonArray Named(JsonArray under, JsonArray over, string path, string convertedFrom,
        List<ManifestError> conflicts)
    {
        var merged = new JsonArray();
        var taken = new HashSet<JsonNode>(ReferenceEqualityComparer.Instance);
        foreach (var item in over)
        {
            var match = Name(item) is { } name
                ? under.FirstOrDefault(candidate => candidate is not null && !taken.Contains(candidate) && Name(candidate) == name)
                : null;
            if (match is null)
            {
                merged.Add(item?.DeepClone());
                continue;
            }

            taken.Add(match);
            merged.Add(Objects((JsonObject)match, (JsonObject)item!, $"{path}[\"{Name(item)}\"]", convertedFrom, conflicts));
        }

        foreach (var item in under.Where(item => item is null || !taken.Contains(item)))
            merged.Add(item?.DeepClone());
        return merged;
    }

    /// <summary>Both files' rules; a rule written the same in both (say, a converted file copied into slipway.json)
    /// is kept once.</summary>
    private static JsonArray Rules(JsonArray under, JsonArray over, bool overLast)
    {
        var (first, then) = overLast ? (under, over) : (over, under);
        var merged = new JsonArray();
        foreach (var rule in first.Concat(then))
        {
            if (!merged.Any(kept => JsonNode.DeepEquals(kept, rule)))
                merged.Add(rule?.DeepClone());
        }

        return merged;
    }

    /// <summary>"routes.rewrites", "routes.headers", ...: the lists directly under "routes". Lists inside a rule
    /// (a header rule's "headers", cors "origins") are values like any other.</summary>
    private static bool IsRuleList(string path) =>
        path.StartsWith("routes.", StringComparison.Ordinal) && path.IndexOf('.', "routes.".Length) < 0;

    private static string? Name(JsonNode? item) =>
        item is JsonObject fields && fields["name"] is JsonValue name && name.TryGetValue<string>(out var text) ? text : null;

    private static string Show(JsonNode? value)
    {
        if (value is JsonValue text && text.TryGetValue<string>(out var s))
            return ManifestObject.Quote(s);
        var json = value?.ToJsonString(ShowOptions) ?? "null";
        return json.Length > 60 ? json[..57] + "..." : json;
    }
}
