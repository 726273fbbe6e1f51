namespace Slipway.Manifests;

/// <summary>Second pass over declared services: the rules that depend on a service's type, on the files in
/// its root (detected commands, directories that must exist) or on other services (one per route path).
/// </summary>
internal static class ServiceResolver
{
    private const string StartExample = "\"start\": \"<command that runs the service>\"";

    public static ServiceSpec Resolve(string sourceDir, DeclaredService declared, ManifestDiagnostics diagnostics)
    {
        var spec = declared.Spec;

        // With the type or root rejected, every rule below would be guessing; the user fixes those first.
        if (diagnostics.HasErrorAt(PathOf(declared, "type")) || diagnostics.HasErrorAt(PathOf(declared, "root")))
            return spec;

        var rootDirectory = Path.Combine(sourceDir, spec.Root);
        if (!Directory.Exists(rootDirectory))
        {
            var problem = File.Exists(rootDirectory) ? "is a file, not a directory" : "does not exist in the app source";
            diagnostics.Error(PathOf(declared, "root"),
                $"\"{spec.Root}\" {problem}; root is the service's directory, relative to the one holding slipway.json");
            return spec;
        }

        // Detection reads files, so it runs only when a command or output was left out.
        var detection = new Lazy<(DetectedService? Service, string? Error)>(() =>
            Detector.TryDetect(rootDirectory, out var service, out var error) ? (service, null) : (null, error));

        spec = spec with
        {
            Install = declared.Declares("install") ? spec.Install : detection.Value.Service?.Install,
            Build = declared.Declares("build") ? spec.Build : detection.Value.Service?.Build,
        };

        return spec.Type == ServiceType.Static
            ? ResolveStatic(declared, spec, rootDirectory, detection, diagnostics)
            : ResolveProcess(declared, spec, detection, diagnostics);
    }

    /// <summary>Web and static services share the app's hostnames, so each needs its own path prefix.</summary>
    public static void CheckRoutes(IReadOnlyList<DeclaredService> declared, IReadOnlyList<ServiceSpec> specs,
        ManifestDiagnostics diagnostics)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < declared.Count; i++)
        {
            var spec = specs[i];
            if (spec.Type == ServiceType.Worker || diagnostics.HasErrorAt(PathOf(declared[i], "type"))
                                                 || diagnostics.HasErrorAt(PathOf(declared[i], "path")))
                continue;
            if (owners.TryAdd(spec.Path, declared[i].Path))
                continue;

            diagnostics.Error(PathOf(declared[i], "path"),
                $"\"{spec.Path}\" is already served by {owners[spec.Path]}; give each web or static service its own " +
                "\"path\" prefix, e.g. \"/api\"");
        }
    }

    private static ServiceSpec ResolveProcess(DeclaredService declared, ServiceSpec spec,
        Lazy<(DetectedService? Service, string? Error)> detection, ManifestDiagnostics diagnostics)
    {
        var type = spec.Type == ServiceType.Web ? "web" : "worker";
        foreach (var key in (string[])["output", "spa"])
        {
            if (declared.Declares(key))
                diagnostics.Error(PathOf(declared, key), $"only static services have \"{key}\"; remove it, or set \"type\": \"static\"");
        }

        if (spec.Type == ServiceType.Worker)
        {
            foreach (var key in (string[])["healthcheck", "path"])
            {
                if (declared.Declares(key))
                    diagnostics.Error(PathOf(declared, key),
                        $"workers get no HTTP traffic, so \"{key}\" does not apply; remove it, or set \"type\": \"web\"");
            }
        }

        if (declared.Declares("start"))
        {
            if (spec.Start is null && !diagnostics.HasErrorAt(PathOf(declared, "start")))
                diagnostics.Error(PathOf(declared, "start"), $"{type} services need a start command, got null; add {StartExample}");
            return spec;
        }

        var (detected, error) = detection.Value;
        if (detected?.Start is not null)
            return spec with { Start = detected.Start };
        if (diagnostics.HasErrorAt(PathOf(declared, "start")))
            return spec; // a misspelled "start" was already reported

        var where = Where(spec.Root);
        var why = detected is not null
            ? $"{where} looks like a {detected.Description} with output \"{detected.Output}\", which has nothing to start. " +
              $"Set \"type\": \"static\", or declare {StartExample}"
            : $"none is declared and none was detected in {where}: {error}. Declare it with {StartExample}";
        diagnostics.Error(PathOf(declared, "start"), $"a {type} service needs a start command; {why}");
        return spec;
    }

    private static ServiceSpec ResolveStatic(DeclaredService declared, ServiceSpec spec, string rootDirectory,
        Lazy<(DetectedService? Service, string? Error)> detection, ManifestDiagnostics diagnostics)
    {
        foreach (var key in (string[])["start", "release", "replicas", "healthcheck", "restart"])
        {
            if (declared.Declares(key))
                diagnostics.Error(PathOf(declared, key),
                    $"static services are served by the platform and run no process, so \"{key}\" does not apply; " +
                    "remove it, or set \"type\": \"web\"");
        }

        if (!declared.Declares("output"))
        {
            if (detection.Value.Service is { Type: ServiceType.Static, Output: { } detectedOutput })
                return spec with { Output = detectedOutput };
            if (diagnostics.HasErrorAt(PathOf(declared, "output")))
                return spec; // a misspelled "output" was already reported

            diagnostics.Error(PathOf(declared, "output"),
                "static services need \"output\": the directory (relative to root) holding the files to serve after " +
                "the build, e.g. \"dist\"; it could not be detected in " + Where(spec.Root));
            return spec;
        }

        // Without a build the files must already be there; catching it now beats a deployment that serves 404s.
        if (spec is { Output: { } output, Build: null, Install: null }
            && !Directory.Exists(Path.Combine(rootDirectory, output)))
        {
            diagnostics.Error(PathOf(declared, "output"),
                $"directory \"{output}\" does not exist in {Where(spec.Root)} and there is no build command to create it");
        }

        return spec;
    }

    private static string PathOf(DeclaredService declared, string key) => ManifestDiagnostics.Join(declared.Path, key);

    private static string Where(string root) => root == "." ? "the app's root directory" : $"\"{root}\"";
}
