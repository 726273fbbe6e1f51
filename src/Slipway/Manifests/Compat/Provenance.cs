using System.Text.Json.Nodes;

namespace Slipway.Manifests.Compat;

/// <summary>What a conversion knows beside the slipway.json it wrote: where each value came from, by slipway.json key
/// path (<see cref="ManifestPaths"/>). <see cref="ManifestMerge"/> asks it how to name the other file's side of a
/// conflict.</summary>
internal sealed class Provenance(IReadOnlyDictionary<string, SourceValue> sources)
{
    /// <summary>By path: <c>services.web.start</c> ← railway.json deploy.startCommand "npm run serve".</summary>
    public IReadOnlyDictionary<string, SourceValue> Sources => sources;

    /// <summary>The other file's side of a conflict at <paramref name="path"/>: its own key and value when known
    /// (<c>railway.json deploy.startCommand ("npm run serve")</c>), else the file and the converted value.</summary>
    public string Describe(string path, JsonNode? converted, string convertedFrom) =>
        sources.TryGetValue(path, out var source) ? source.Describe(converted) : $"{convertedFrom} ({SourceValue.Show(converted)})";
}
