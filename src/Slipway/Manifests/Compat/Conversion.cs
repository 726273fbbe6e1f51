using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Manifests.Compat;

/// <summary>One conversion in progress: the slipway.json being written, where each of its values came from, plus every
/// warning and error so far. Converters walk each foreign object key by key and either map a key or call
/// <see cref="Ignored"/>, so nothing is dropped without a word; a mapped value is set with <see cref="Set"/> or
/// <see cref="Copy"/>, which record the file's own key and value for messages about it (<see cref="Provenance"/>).</summary>
internal sealed class Conversion
{
    private static readonly JsonDocumentOptions ParseOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private readonly List<string> _warnings = [];
    private readonly List<ManifestError> _errors = [];
    private readonly List<(JsonObject Service, string File, string Key)> _builds = [];
    private readonly List<(JsonObject Parent, string Key, SourceValue Source)> _sources = [];
    private readonly List<(JsonObject Parent, string Key, JsonNode? Value)> _dropped = [];

    public Conversion(string sourceDir)
    {
        SourceDir = sourceDir;
    }

    public string SourceDir { get; }

    /// <summary>The slipway.json being built. Keys may be added in any order; <see cref="Finish"/> sorts them.</summary>
    public JsonObject Manifest { get; } = new() { ["services"] = new JsonObject() };

    public JsonObject Services => Manifest["services"]!.AsObject();

    public bool Failed => _errors.Count > 0;

    public JsonObject Service(string name) => Child(Services, name);

    /// <summary>The object at <paramref name="key"/> in <paramref name="parent"/> ("healthcheck"), created on first use.</summary>
    public static JsonObject Child(JsonObject parent, string key)
    {
        if (parent[key] is JsonObject existing)
            return existing;
        var created = new JsonObject();
        parent[key] = created;
        return created;
    }

    /// <summary>The top-level "routes", created on first use.</summary>
    public JsonObject Routes => Child(Manifest, "routes");

    /// <summary>The top-level "crons", created on first use.</summary>
    public JsonArray Crons
    {
        get
        {
            if (Manifest["crons"] is JsonArray existing)
                return existing;
            var created = new JsonArray();
            Manifest["crons"] = created;
            return created;
        }
    }

    /// <summary>Sets a service's build command from the foreign file's <paramref name="key"/>. An install at its
    /// start ("npm ci &amp;&amp; npm run build") is taken out when the conversion finishes (<see cref="InstallInBuild"/>),
    /// once every key that could declare the service's install has been read.</summary>
    public void Build(JsonObject service, string file, string key, JsonElement value)
    {
        Copy(service, "build", file, key, value);
        _builds.Add((service, file, key));
    }

    /// <summary>Sets <paramref name="parent"/>[<paramref name="key"/>], recording where the value came from.</summary>
    public void Set(JsonObject parent, string key, JsonNode? value, SourceValue source)
    {
        parent[key] = value;
        From(parent, key, source);
    }

    /// <summary>Sets <paramref name="parent"/>[<paramref name="key"/>] to the file's value as it is.</summary>
    public void Copy(JsonObject parent, string key, string file, string fileKey, JsonElement value) =>
        Set(parent, key, Node(value), SourceValue.Of(file, fileKey, value));

    /// <summary>Records where <paramref name="parent"/>[<paramref name="key"/>] came from, for a value or object set
    /// otherwise (a cron job built field by field, a service a Procfile line declares). The last record wins.</summary>
    public void From(JsonObject parent, string key, SourceValue source) => _sources.Add((parent, key, source));

    /// <summary>Removes <paramref name="parent"/>[<paramref name="key"/>] and keeps what it held, so a slipway.json that
    /// restates it (written when this converter still kept it) is not taken for a setting of its own.</summary>
    public void Drop(JsonObject parent, string key)
    {
        if (!parent.TryGetPropertyValue(key, out var value))
            return;
        parent.Remove(key);
        _dropped.Add((parent, key, value));
    }

    public void Ignored(string file, string key, string? hint = null) =>
        _warnings.Add($"{file}: {key} is not supported and was ignored" + (hint is null ? "" : $"; {hint}"));

    public void Warn(string file, string key, string message) => _warnings.Add($"{file}: {key}: {message}");

    public void Error(string file, string message) => _errors.Add(new ManifestError("", $"{file}: {message}"));

    /// <summary>Parses a JSON file (comments and trailing commas allowed); null after reporting an error.</summary>
    public JsonElement? ReadJson(string file)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(SourceDir, file)), ParseOptions);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
                return document.RootElement.Clone();
            Error(file, $"expected a JSON object {{ ... }} at the top, got {ManifestObject.Describe(document.RootElement)}");
        }
        catch (JsonException e)
        {
            Error(file, $"not valid JSON at line {e.LineNumber + 1}, column {e.BytePositionInLine + 1}: {ManifestLoader.JsonReason(e)}");
        }

        return null;
    }

    /// <summary>The properties of <paramref name="element"/> when it is an object; otherwise a warning that the
    /// value at <paramref name="key"/> was ignored, and none.</summary>
    public IEnumerable<JsonProperty> Properties(string file, string key, JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
            return element.EnumerateObject();
        Warn(file, key, $"expected an object, got {ManifestObject.Describe(element)}; ignored");
        return [];
    }

    /// <summary>The value as JSON for the manifest. Values of the wrong type go through unchanged, so the
    /// manifest reader reports them with its usual message.</summary>
    public static JsonNode? Node(JsonElement element) => JsonSerializer.SerializeToNode(element);

    /// <summary>A duration in seconds from another platform, as slipway.json writes one ("30s").</summary>
    public static JsonNode? Seconds(JsonElement element) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var seconds) && seconds > 0
            ? JsonValue.Create($"{seconds}s")
            : Node(element);

    public ConversionResult Finish(string source)
    {
        if (Failed)
            return new ConversionResult.Failed(source, _errors);
        foreach (var (service, file, key) in _builds)
            InstallInBuild.Split(this, service, file, key);
        return new ConversionResult.Converted(source, ManifestLayout.Write(Manifest), _warnings, Provenance());
    }

    /// <summary>The recorded sources by the key paths their values ended up at, now that every key is in place
    /// (crons have their names, installs have moved out of builds); a dropped object's values by the paths they had.</summary>
    private Provenance Provenance()
    {
        var paths = new Dictionary<JsonObject, string>(ReferenceEqualityComparer.Instance);
        foreach (var (path, node) in ManifestPaths.Walk(Manifest))
        {
            if (node is JsonObject fields)
                paths[fields] = path;
        }

        var leftOut = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (parent, key, value) in _dropped.Where(drop => paths.ContainsKey(drop.Parent)))
        {
            foreach (var (path, node) in ManifestPaths.Walk(value, ManifestDiagnostics.Join(paths[parent], key)))
            {
                if (node is JsonObject fields)
                    paths[fields] = path;
                else
                    leftOut[path] = node?.DeepClone();
            }
        }

        var sources = new Dictionary<string, SourceValue>(StringComparer.Ordinal);
        foreach (var (parent, key, source) in _sources)
        {
            if (parent.ContainsKey(key) && paths.TryGetValue(parent, out var path))
                sources[ManifestDiagnostics.Join(path, key)] = source;
        }

        return new Provenance(sources, leftOut);
    }
}
