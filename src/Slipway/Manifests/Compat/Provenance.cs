using System.Text.Json.Nodes;

namespace Slipway.Manifests.Compat;

/// <summary>What a conversion knows beside the slipway.json it wrote: where each value came from and which values it
/// read but left out, both by slipway.json key path (<see cref="ManifestPaths"/>). <see cref="ManifestMerge"/> asks it
/// whether the app's own slipway.json restates the other file, and how to name that file's side of a conflict.</summary>
/// <param name="leftOut">Values the conversion made and then dropped, as it had made them, by the path they had.</param>
internal sealed class Provenance(IReadOnlyDictionary<string, SourceValue> sources, IReadOnlyDictionary<string, JsonNode?> leftOut)
{
    /// <summary>By path: <c>services.web.start</c> ← railway.json deploy.startCommand "npm run serve".</summary>
    public IReadOnlyDictionary<string, SourceValue> Sources => sources;

    /// <summary>Whether slipway.json's <paramref name="own"/> value says what the other file says, though perhaps not as
    /// <paramref name="converted"/> spells it. slipway.json files written by an older <c>slipway manifest convert
    /// --write</c> restate the other file as that version converted it, and converters normalize more over time. So
    /// compare normalized with normalized (a build command without its leading install, as <see cref="InstallInBuild"/>
    /// converts one), and take the value as the other file writes it too.</summary>
    public bool Restates(string path, JsonNode? own, JsonNode? converted) =>
        JsonNode.DeepEquals(own, converted)
        || (sources.TryGetValue(path, out var source) && source.IsRaw(own))
        || (IsBuild(path) && own is JsonValue value && value.TryGetValue<string>(out var build)
            && JsonNode.DeepEquals(WithoutInstall(build), converted));

    /// <summary>Whether slipway.json's value at <paramref name="path"/>, which the converted manifest does not have,
    /// restates a value the conversion made and then left out on purpose (railway.json's healthcheck keys on a service
    /// whose cronSchedule made it a worker), as the conversion had it or as the file writes it.</summary>
    public bool RestatesLeftOut(string path, JsonNode? own) =>
        leftOut.TryGetValue(path, out var dropped) && Restates(path, own, dropped);

    /// <summary>The other file's side of a conflict at <paramref name="path"/>: its own key and value when known
    /// (<c>railway.json deploy.startCommand ("npm run serve")</c>), else the file and the converted value.</summary>
    public string Describe(string path, JsonNode? converted, string convertedFrom) =>
        sources.TryGetValue(path, out var source) ? source.Describe(converted) : $"{convertedFrom} ({SourceValue.Show(converted)})";

    /// <summary>The file the value or object at <paramref name="path"/> came from (app.json or the Procfile).</summary>
    public string? FileOf(string path) => sources.TryGetValue(path, out var source) ? source.File : null;

    private static bool IsBuild(string path) =>
        path.StartsWith("services", StringComparison.Ordinal) && path.EndsWith(".build", StringComparison.Ordinal);

    private static JsonNode? WithoutInstall(string build) =>
        InstallInBuild.Parse(build) is { } split ? (split.Build is null ? null : JsonValue.Create(split.Build)) : JsonValue.Create(build);
}
