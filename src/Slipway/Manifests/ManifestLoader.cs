using System.Text.Json;
using System.Text.Json.Nodes;
using Slipway.Manifests.Compat;

namespace Slipway.Manifests;

/// <summary>Reads an app's slipway.json, or converts another platform's file to one, or lays the slipway.json over
/// that converted file when there are both (unless slipway.json says "otherFiles": "ignore"), or detects the app
/// when there is neither; returns a complete
/// <see cref="AppSpec"/> or every error at once.
/// <code>
///   railway.json | vercel.json | render.yaml | app.json | Procfile ─► ManifestConverter ─┐ converted
///   sourceDir/slipway.json ──────────────────────────────────────────────────────────────┤ (either, or
///                                                                                        ▼  ManifestMerge
///   (none of them) ─► Detector on sourceDir ─► one "web" service         JSON              of both)
///                                                                          │ ManifestReader
///                                    declared services, routes, crons, deploy, databases, variables
///                                                                          │ ServiceResolver, per service:
///                                      detect omitted commands in root, type rules, one route path per web/static
/// </code>
/// Nothing is half-applied: any error makes the whole result <see cref="ManifestResult.Invalid"/>.</summary>
internal static class ManifestLoader
{
    public const string FileName = "slipway.json";

    /// <summary>Name of the service an app without a manifest gets.</summary>
    public const string DetectedServiceName = "web";

    public static readonly JsonDocumentOptions ParseOptions = new()
    {
        // slipway.json is written by people: let them comment and leave the trailing comma.
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static ManifestResult Load(string sourceDir)
    {
        if (!Directory.Exists(sourceDir))
            return Invalid("", $"the app source directory \"{sourceDir}\" does not exist");

        var file = Path.Combine(sourceDir, FileName);
        var own = File.Exists(file) ? File.ReadAllText(file) : null;
        if (own is null && MisnamedManifest(sourceDir) is { } misnamed)
            return Invalid("", misnamed);
        // Not converted at all: a broken railway.json is no error beside a slipway.json that says it is the whole manifest.
        if (own is not null && IgnoresOtherFiles(own))
            return FromJson(sourceDir, own, FileName, []);
        return (ManifestConverter.Convert(sourceDir), own) switch
        {
            (ConversionResult.Failed failed, _) => new ManifestResult.Invalid(failed.Errors) { Subject = failed.Source },
            (ConversionResult.Converted converted, null) =>
                FromJson(sourceDir, converted.Json, $"converted from {converted.Source}", converted.Warnings),
            (ConversionResult.Converted converted, { } json) => Layered(sourceDir, json, converted),
            (_, { } json) => FromJson(sourceDir, json, FileName, []),
            _ => Detect(sourceDir),
        };
    }

    /// <summary>Whether slipway.json says <c>"otherFiles": "ignore"</c>: it is the whole manifest, and another
    /// platform's file beside it is not read.</summary>
    public static bool IgnoresOtherFiles(JsonNode? own) =>
        own is JsonObject fields && fields[ManifestKeys.OtherFilesKey] is JsonValue value && value.TryGetValue<string>(out var mode)
        && ManifestKeys.OtherFilesModes.GetValueOrDefault(mode) == OtherFiles.Ignore;

    public static bool IgnoresOtherFiles(string json)
    {
        try
        {
            return IgnoresOtherFiles(JsonNode.Parse(json, documentOptions: ParseOptions));
        }
        catch (JsonException)
        {
            return false; // reported where the file is read as a manifest
        }
    }

    /// <summary>The app's slipway.json laid over the file converted from another platform's (see
    /// <see cref="ManifestMerge"/>), then validated like one slipway.json. Errors about keys set differently in
    /// both files come with the validation's, each at its key path.</summary>
    private static ManifestResult Layered(string sourceDir, string json, ConversionResult.Converted converted)
    {
        JsonNode? own;
        try
        {
            own = JsonNode.Parse(json, documentOptions: ParseOptions);
        }
        catch (JsonException e)
        {
            return Invalid("", $"not valid JSON at line {e.LineNumber + 1}, column {e.BytePositionInLine + 1}: {JsonReason(e)}");
        }

        // Not an object: nothing to lay over the other file. The reader says what is wrong with it.
        if (own is not JsonObject overlay)
            return FromJson(sourceDir, json, FileName, []);

        var (merged, conflicts, warnings) = ManifestMerge.Lay(overlay, converted);
        return FromJson(sourceDir, merged.ToJsonString(), $"{FileName} + {converted.Files}", [.. converted.Warnings, .. warnings],
            conflicts);
    }

    /// <summary>Validates a slipway.json document, written by the user, converted from another platform's file or
    /// both merged (then <paramref name="origin"/> names the files, their conversion warnings come first and
    /// <paramref name="conflicts"/> are reported with the rest).</summary>
    private static ManifestResult FromJson(string sourceDir, string json, string origin, IReadOnlyList<string> warnings,
        IReadOnlyList<ManifestError>? conflicts = null)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, ParseOptions);
        }
        catch (JsonException e)
        {
            return Invalid("", $"not valid JSON at line {e.LineNumber + 1}, column {e.BytePositionInLine + 1}: {JsonReason(e)}");
        }

        using (document)
        {
            var diagnostics = new ManifestDiagnostics();
            // First, so rules that depend on a value set differently in both files skip themselves (HasErrorAt).
            foreach (var conflict in conflicts ?? [])
                diagnostics.Error(conflict.Path, conflict.Message);
            var (name, declared, deploy, routes, crons, variables) = ManifestReader.Read(document.RootElement, diagnostics);
            var services = declared.Select(service => ServiceResolver.Resolve(sourceDir, service, diagnostics)).ToList();
            ServiceResolver.CheckRoutes(declared, services, diagnostics);
            // Root keys were checked by the reader already: this second look only hands "databases", "volumes" and "alerts" over.
            var root = ManifestObject.Open(document.RootElement, "", new ManifestDiagnostics(), ManifestKeys.RootKeys);
            IReadOnlyList<DatabaseSpec> databases = root is null ? [] : DatabasesReader.Read(root, diagnostics);
            IReadOnlyList<VolumeSpec> volumes = root is null ? [] : ResourcesReader.Volumes(root, diagnostics);
            IReadOnlyList<AlertRuleSpec> alerts = root is null ? [] : AlertsReader.Read(root, diagnostics);
            var errors = root is null ? new ErrorsSpec() : ReadErrors(root, diagnostics);

            if (diagnostics.Errors.Count > 0)
            {
                var subject = origin.StartsWith("converted", StringComparison.Ordinal) ? $"{FileName} {origin}" : origin;
                return new ManifestResult.Invalid(InDocumentOrder(diagnostics.Errors, declared)) { Subject = subject };
            }

            var spec = new AppSpec
            {
                Name = name, Services = services, Deploy = deploy, Routes = routes, Crons = crons, Variables = variables, Databases = databases, Volumes = volumes, Alerts = alerts, Errors = errors, Origin = origin,
            };
            return new ManifestResult.Ok(spec, [.. warnings, .. diagnostics.Warnings]);
        }
    }

    /// <summary>"errors": { "browser": true, "sourceMaps": true }.</summary>
    private static ErrorsSpec ReadErrors(ManifestObject root, ManifestDiagnostics diagnostics)
    {
        if (root.Raw("errors") is not { } raw)
            return new ErrorsSpec();
        var errors = ManifestObject.Open(raw, "errors", diagnostics, ManifestKeys.ErrorsKeys);
        return errors is null ? new ErrorsSpec() : new ErrorsSpec { Browser = errors.Bool("browser") ?? false, SourceMaps = errors.Bool("sourceMaps") ?? false };
    }

    /// <summary>The reason part of a System.Text.Json error, without the position it appends (we report the
    /// position ourselves, 1-based like editors show it).</summary>
    public static string JsonReason(JsonException e)
    {
        var message = e.Message;
        var position = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return position > 0 ? message[..position] : message;
    }

    /// <summary>The resolver runs after the whole file is read, so its errors would otherwise come after
    /// those about "deploy". Sort by section (top-level keys, each service as declared, deploy) so a user
    /// reading the list walks the file once; within a section the order found is kept.</summary>
    private static List<ManifestError> InDocumentOrder(IReadOnlyList<ManifestError> errors,
        IReadOnlyList<DeclaredService> services)
    {
        return errors.OrderBy(Section).ToList();

        int Section(ManifestError error)
        {
            if (error.Path.StartsWith("deploy", StringComparison.Ordinal))
                return int.MaxValue;
            if (error.Path.StartsWith("crons", StringComparison.Ordinal))
                return int.MaxValue - 1;
            if (error.Path.StartsWith("routes", StringComparison.Ordinal))
                return int.MaxValue - 2;
            if (!error.Path.StartsWith("services", StringComparison.Ordinal))
                return 0;
            for (var i = 0; i < services.Count; i++)
            {
                var path = services[i].Path;
                if (error.Path == path || error.Path.StartsWith(path + ".", StringComparison.Ordinal))
                    return i + 2;
            }

            return 1; // "services" itself, or a service that could not be read
        }
    }

    private static ManifestResult Detect(string sourceDir)
    {
        if (!Detector.TryDetect(sourceDir, out var detected, out var error))
        {
            return new ManifestResult.Invalid([
                new ManifestError("",
                    $"there is no {FileName} and Slipway cannot tell how to run the app: {error}. Add a {FileName} " +
                    "that declares the app's services (documented in schemas/slipway.schema.json), e.g. " +
                    "{ \"services\": { \"web\": { \"start\": \"<command that starts the server>\" } } }"),
            ]) { Subject = "the app" };
        }

        var service = new ServiceSpec
        {
            Name = DetectedServiceName,
            Type = detected.Type,
            Install = detected.Install,
            Build = detected.Build,
            Start = detected.Start,
            Output = detected.Output,
        };
        return new ManifestResult.Ok(new AppSpec { Services = [service], Origin = $"detected: {detected.Description}" }, []);
    }

    /// <summary>A manifest under another name would be ignored silently and the app deployed as detected,
    /// which is not what its author wrote; better to stop and say so.</summary>
    private static string? MisnamedManifest(string sourceDir)
    {
        string[] otherFormats = [".jsonc", ".yaml", ".yml", ".toml"];
        foreach (var path in Directory.EnumerateFiles(sourceDir, "*", SearchOption.TopDirectoryOnly))
        {
            var name = Path.GetFileName(path);
            if (string.Equals(name, FileName, StringComparison.OrdinalIgnoreCase))
                return $"found \"{name}\", but the manifest must be named \"{FileName}\" (lowercase); rename it";
            if (otherFormats.Contains(Path.GetExtension(name).ToLowerInvariant())
                && string.Equals(Path.GetFileNameWithoutExtension(name), "slipway", StringComparison.OrdinalIgnoreCase))
                return $"found \"{name}\", but Slipway reads only JSON manifests named \"{FileName}\" " +
                       "(comments are allowed); rename or convert it";
        }

        return null;
    }

    private static ManifestResult.Invalid Invalid(string path, string message) => new([new ManifestError(path, message)]);
}
