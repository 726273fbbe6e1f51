using System.Text.Json.Nodes;
using Slipway.Manifests.Compat;

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
/// slipway.json restates the other file's (<see cref="Provenance.Restates"/>: the same value, the value as the other
/// file writes it, or the same once normalized, as a slipway.json from an older <c>slipway manifest convert --write</c>
/// has it); every conflict is reported with the other file's own key and value, and slipway.json's value is kept so
/// the rest of the manifest can still be validated.</summary>
internal sealed class ManifestMerge
{
    /// <summary>Rule lists where a later rule overrides an earlier one, so slipway.json's rules go last. In every
    /// other rule list the first matching rule wins, so slipway.json's go first.</summary>
    private static readonly IReadOnlyList<string> LaterRuleWins = ["routes.headers"];

    private readonly Provenance _provenance;
    private readonly string _convertedFrom;
    private readonly List<ManifestError> _conflicts = [];

    private ManifestMerge(ConversionResult.Converted converted)
    {
        _provenance = converted.Provenance;
        _convertedFrom = converted.Files;
    }

    /// <summary>The merged manifest (a new object; neither input is changed), one error per key set to different
    /// values in both, e.g. <c>services.web.start: set in both railway.json deploy.startCommand ("npm run serve") and
    /// slipway.json services.web.start ("node server.js"); keep it in one of them</c>, and warnings about services
    /// and cron jobs the other file adds (<see cref="Unnamed"/>).</summary>
    public static (JsonObject Merged, IReadOnlyList<ManifestError> Conflicts, IReadOnlyList<string> Warnings) Lay(
        JsonObject own, ConversionResult.Converted converted)
    {
        var merge = new ManifestMerge(converted);
        var under = ConvertedObject(converted);
        var merged = merge.Objects(under, own, "");
        return (merged, merge._conflicts, merge.Unnamed(own, under).ToList());
    }

    /// <summary>Services and cron jobs of the other file that slipway.json does not name, once slipway.json declares
    /// services of its own (ones the other file does not have): its author may take its list for the whole app, while
    /// Slipway deploys the other file's too. Cron jobs also once slipway.json declares jobs of its own. Naming the
    /// other file's services only to add settings to them is the usual layering and gets no warning.</summary>
    private IEnumerable<string> Unnamed(JsonObject own, JsonObject converted)
    {
        var (ownServices, theirServices) = (Keys(own["services"]), Keys(converted["services"]));
        var (ownCrons, theirCrons) = (Names(own["crons"]), Names(converted["crons"]));
        var servicesOfItsOwn = ownServices.Except(theirServices).Any();
        var cronsOfItsOwn = ownCrons.Except(theirCrons).Any();
        var services = servicesOfItsOwn ? theirServices.Except(ownServices) : [];
        var crons = servicesOfItsOwn || cronsOfItsOwn ? theirCrons.Except(ownCrons) : [];
        return Unnamed("services", "service", "deploys", services, name => ManifestDiagnostics.Join("services", name))
            .Concat(Unnamed("crons", "cron job", "runs", crons, name => ManifestDiagnostics.Join(ManifestPaths.Named("crons", name), "name")));

        static List<string> Keys(JsonNode? map) => map is JsonObject fields ? [.. fields.Select(field => field.Key)] : [];
        static List<string> Names(JsonNode? list) => list is JsonArray items ? [.. items.Select(ManifestPaths.Name).OfType<string>()] : [];
    }

    /// <summary><c>services: Procfile also declares service "worker", which slipway.json does not name; Slipway deploys
    /// it too</c>, and how to stop that; one warning per file they come from.</summary>
    private IEnumerable<string> Unnamed(string list, string noun, string verb, IEnumerable<string> names, Func<string, string> pathOf)
    {
        foreach (var file in names.GroupBy(name => _provenance.FileOf(pathOf(name)) ?? _convertedFrom))
        {
            var quoted = string.Join(", ", file.Select(name => $"\"{name}\""));
            var (what, it) = file.Count() == 1 ? ($"{noun} {quoted}", "it") : ($"{noun}s {quoted}", "them");
            yield return $"{list}: {file.Key} also declares {what}, which {ManifestLoader.FileName} does not name; Slipway {verb} " +
                         $"{it} too. If {ManifestLoader.FileName} is meant to be the whole manifest, add \"{ManifestKeys.OtherFilesKey}\": " +
                         "\"ignore\" to it";
        }
    }

    /// <summary>The converted manifest as an object to merge; converters always write one.</summary>
    private static JsonObject ConvertedObject(ConversionResult.Converted converted) =>
        JsonNode.Parse(converted.Json)?.AsObject() ?? throw new InvalidOperationException("a converted manifest is an object");

    private JsonObject Objects(JsonObject under, JsonObject over, string path)
    {
        var merged = (JsonObject)under.DeepClone();
        foreach (var (key, value) in over)
        {
            var keyPath = ManifestDiagnostics.Join(path, key);
            if (merged.TryGetPropertyValue(key, out var existing))
                merged[key] = Values(existing, value, keyPath);
            else if (Added(value, keyPath) is { Keep: true } added)
                merged[key] = added.Value;
        }

        return merged;
    }

    /// <summary>A value only slipway.json has, without what restates values the conversion left out: a slipway.json
    /// written when the converter still kept them says them again, and they no longer apply (railway.json's healthcheck
    /// on what is now a cron job's worker). An object left empty by that goes too.</summary>
    private (bool Keep, JsonNode? Value) Added(JsonNode? value, string path)
    {
        if (_provenance.RestatesLeftOut(path, value))
            return (false, null);
        if (value is not JsonObject { Count: > 0 } fields)
            return (true, value?.DeepClone());
        var kept = Objects(new JsonObject(), fields, path);
        return (kept.Count > 0, kept);
    }

    private JsonNode? Values(JsonNode? under, JsonNode? over, string path)
    {
        if (under is JsonObject underObject && over is JsonObject overObject)
            return Objects(underObject, overObject, path);
        if (under is JsonArray underList && over is JsonArray overList)
        {
            if (ManifestPaths.NamedLists.Contains(path))
                return Named(underList, overList, path);
            if (IsRuleList(path))
                return Rules(underList, overList, LaterRuleWins.Contains(path));
        }

        // What the conversion made of the other file wins over slipway.json saying the same in another form: a build
        // restated with its install would install twice.
        if (_provenance.Restates(path, over, under))
            return under?.DeepClone();
        _conflicts.Add(new ManifestError(path,
            $"set in both {_provenance.Describe(path, under, _convertedFrom)} and {ManifestLoader.FileName} {path} " +
            $"({SourceValue.Show(over)}); keep it in one of them"));
        return over?.DeepClone();
    }

    /// <summary>slipway.json's items in its own order (so "crons[0]" in an error is its first job), each merged
    /// with the converted item of the same name; then the converted items it does not name.</summary>
    private JsonArray Named(JsonArray under, JsonArray over, string path)
    {
        var merged = new JsonArray();
        var taken = new HashSet<JsonNode>(ReferenceEqualityComparer.Instance);
        foreach (var (item, index) in over.Select((item, index) => (item, index)))
        {
            var match = ManifestPaths.Name(item) is { } name
                ? under.FirstOrDefault(candidate => candidate is not null && !taken.Contains(candidate) && ManifestPaths.Name(candidate) == name)
                : null;
            if (match is null)
            {
                merged.Add(item?.DeepClone());
                continue;
            }

            taken.Add(match);
            merged.Add(Objects((JsonObject)match, (JsonObject)item!, ManifestPaths.Item(path, item, index)));
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
}
