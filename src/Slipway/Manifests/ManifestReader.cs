using System.Text.Json;

namespace Slipway.Manifests;

/// <summary>Turns the parsed slipway.json into declared services, checking keys, types and formats. Rules that
/// need the file system or several services at once live in <see cref="ServiceResolver"/>.</summary>
internal static class ManifestReader
{
    private const string NameRule = "lowercase letters, digits and \"-\", starting with a letter, at most 40 characters";

    public static (string? Name, IReadOnlyList<DeclaredService> Services, DeploySpec Deploy, RoutesSpec Routes,
        IReadOnlyList<CronSpec> Crons, IReadOnlyList<VariableSpec> Variables) Read(JsonElement document, ManifestDiagnostics diagnostics)
    {
        var root = ManifestObject.Open(document, "", diagnostics, ManifestKeys.RootKeys, ManifestKeys.MisplacedAtRoot);
        if (root is null)
            return (null, [], new DeploySpec(), new RoutesSpec(), [], []);

        root.String("$schema", "a path or URL of the schema"); // only for editors; checked so it matches the schema
        var name = root.String("name", "an app name");
        if (name is not null && !ManifestKeys.NamePattern().IsMatch(name))
            root.Error("name", $"expected {NameRule}, got {ManifestObject.Quote(name)}");

        root.Enum(ManifestKeys.OtherFilesKey, ManifestKeys.OtherFilesModes); // acted on before reading (ManifestLoader)
        var services = ReadServices(root, diagnostics);
        var variables = VariablesReader.Read(root, diagnostics);
        return (name, services, ReadDeploy(root), RoutesReader.Read(root), CronsReader.Read(root, services), variables);
    }

    private static List<DeclaredService> ReadServices(ManifestObject root, ManifestDiagnostics diagnostics)
    {
        const string example = "\"services\": { \"web\": { \"start\": \"node server.js\" } }";
        var services = new List<DeclaredService>();
        if (root.Raw("services") is not { } map)
        {
            root.Error("services", $"missing; declare at least one service, e.g. {example}");
            return services;
        }

        if (map.ValueKind != JsonValueKind.Object)
        {
            root.Error("services", $"expected an object of services by name, e.g. {example}; got {ManifestObject.Describe(map)}");
            return services;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in map.EnumerateObject())
        {
            var path = ManifestDiagnostics.Join("services", property.Name);
            if (!seen.Add(property.Name))
            {
                diagnostics.Error(path, $"service \"{property.Name}\" is declared more than once; keep one");
                continue;
            }

            if (!ManifestKeys.NamePattern().IsMatch(property.Name))
                diagnostics.Error(path, $"service names must be {NameRule}; got {ManifestObject.Quote(property.Name)}");

            var service = ManifestObject.Open(property.Value, path, diagnostics, ManifestKeys.ServiceKeys,
                ManifestKeys.MisplacedInService);
            if (service is not null)
                services.Add(new DeclaredService(path, ReadService(property.Name, service, diagnostics), service.Keys.ToArray()));
        }

        if (seen.Count == 0)
            root.Error("services", $"expected at least one service, e.g. {example}");
        return services;
    }

    private static ServiceSpec ReadService(string name, ManifestObject service, ManifestDiagnostics diagnostics)
    {
        // Defaults come from ServiceSpec itself, so the spec stays their one source.
        var defaults = new ServiceSpec { Name = name };
        var spec = defaults with
        {
            Type = service.Enum("type", ManifestKeys.ServiceTypes) ?? defaults.Type,
            Root = RelativePath(service, "root", "inside the app source") ?? defaults.Root,
            Install = service.String("install", "a command", nullable: true),
            Build = service.String("build", "a command", nullable: true),
            Start = service.String("start", "a command", nullable: true),
            Release = service.String("release", "a command", nullable: true),
            Output = RelativePath(service, "output", "inside the service's root"),
            Replicas = service.Int("replicas", 1, ManifestKeys.MaxReplicas) ?? defaults.Replicas,
        };

        if (service.Bool("spa") is { } spa)
            spec = spec with { Spa = spa };
        if (RoutePath(service) is { } route)
            spec = spec with { Path = route };
        if (service.Object("healthcheck", ManifestKeys.HealthcheckKeys) is { } healthcheck)
            spec = spec with { Healthcheck = ReadHealthcheck(healthcheck) };
        if (service.Object("restart", ManifestKeys.RestartKeys) is { } restart)
            spec = spec with { Restart = ReadRestart(restart, diagnostics) };
        if (service.Raw("env") is { } env)
            spec = spec with { Env = ReadEnv(env, service.PathOf("env"), diagnostics) };
        if (ReadStrategy(service, spec.Type, diagnostics) is { } strategy)
            spec = spec with { Strategy = strategy };
        if (service.Object("resources", ManifestKeys.ResourceKeys) is { } resources)
        {
            if (spec.Type == ServiceType.Static && !diagnostics.HasErrorAt(service.PathOf("type")))
                service.Error("resources", "static services are served by the platform and run no process, so \"resources\" does not apply; remove it");
            else
                spec = spec with { Resources = ResourcesReader.Read(resources) };
        }
        return spec;
    }

    /// <summary>"stop-first" is for workers only: a web service stopped before its replacement is healthy would
    /// answer nothing for the whole start and health check, and for longer if the new version fails and the old
    /// one has to start again. Static services run no process to replace.</summary>
    private static RolloutStrategy? ReadStrategy(ManifestObject service, ServiceType type, ManifestDiagnostics diagnostics)
    {
        var strategy = service.Enum("strategy", ManifestKeys.Strategies);
        if (strategy is null || diagnostics.HasErrorAt(service.PathOf("type")))
            return strategy;
        if (type == ServiceType.Static)
        {
            service.Error("strategy", "static services are served by the platform and run no process, so \"strategy\" does not " +
                                      "apply; remove it, or set \"type\": \"web\"");
            return null;
        }
        if (type == ServiceType.Web && strategy == RolloutStrategy.StopFirst)
        {
            service.Error("strategy", "\"stop-first\" is for workers: a web service stopped before its replacement passes its " +
                                      "health check serves nothing until then. Remove it (web services start the new instances " +
                                      "beside the old ones), or set \"type\": \"worker\"");
            return null;
        }
        return strategy;
    }

    private static HealthcheckSpec ReadHealthcheck(ManifestObject healthcheck)
    {
        var defaults = new HealthcheckSpec();
        var path = healthcheck.String("path", "a path like \"/health\"");
        if (path is not null && (!path.StartsWith('/') || path.Any(char.IsWhiteSpace)))
        {
            healthcheck.Error("path", $"expected a path starting with \"/\" like \"/health\", got {ManifestObject.Quote(path)}");
            path = null;
        }

        return new HealthcheckSpec
        {
            Path = path ?? defaults.Path,
            Timeout = healthcheck.Duration("timeout") ?? defaults.Timeout,
            Interval = healthcheck.Duration("interval") ?? defaults.Interval,
            StartTimeout = healthcheck.Duration("startTimeout") ?? defaults.StartTimeout,
        };
    }

    private static RestartSpec ReadRestart(ManifestObject restart, ManifestDiagnostics diagnostics)
    {
        var defaults = new RestartSpec();
        var spec = new RestartSpec
        {
            Policy = restart.Enum("policy", ManifestKeys.RestartPolicies) ?? defaults.Policy,
            MaxRetries = restart.Int("maxRetries", 0, ManifestKeys.MaxRetries) ?? defaults.MaxRetries,
        };
        if (spec.Policy == RestartPolicy.Never && restart.Has("maxRetries"))
            diagnostics.Warn(restart.PathOf("maxRetries"), "has no effect with policy \"never\"");
        return spec;
    }

    private static Dictionary<string, string> ReadEnv(JsonElement env, string path, ManifestDiagnostics diagnostics)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (env.ValueKind != JsonValueKind.Object)
        {
            diagnostics.Error(path,
                $"expected an object of variables like {{ \"LOG_LEVEL\": \"info\" }}, got {ManifestObject.Describe(env)}");
            return result;
        }

        foreach (var property in env.EnumerateObject())
        {
            var key = property.Name;
            var value = property.Value;
            var keyPath = ManifestDiagnostics.Join(path, key);
            if (!ManifestKeys.EnvKeyPattern().IsMatch(key))
                diagnostics.Error(keyPath, "environment variable names are letters, digits and \"_\", not starting with a digit");
            else if (ManifestKeys.ReservedEnv.Contains(key))
                diagnostics.Error(keyPath, $"{key} is set by the platform for every instance (the service listens on " +
                                           "$HOST:$PORT, which the platform chooses); remove it");
            else if (result.ContainsKey(key))
                diagnostics.Error(keyPath, $"\"{key}\" appears more than once; keep one");

            // Numbers and booleans are accepted as their JSON text: { "WORKERS": 2 } is natural to write, and
            // the process sees strings anyway.
            string? text = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
                _ => null,
            };
            if (text is null)
            {
                diagnostics.Error(keyPath, $"expected a string, number or boolean, got {ManifestObject.Describe(value)}");
                continue;
            }

            if (EnvironmentSize.Problem(key, EnvironmentSize.EntryBytes(key, text)) is { } tooLarge)
                diagnostics.Error(keyPath, tooLarge);
            if (key.StartsWith("SLIPWAY_", StringComparison.Ordinal))
                diagnostics.Warn(keyPath, "SLIPWAY_* names belong to the platform, which may overwrite this value; rename it");
            else if (LooksSecret(key))
                diagnostics.Warn(keyPath, "looks like a secret; slipway.json is part of the source, so store it as a secret instead");
            result[key] = text;
        }

        return result;
    }

    private static DeploySpec ReadDeploy(ManifestObject root)
    {
        var defaults = new DeploySpec();
        if (root.Object("deploy", ManifestKeys.DeployKeys) is not { } deploy)
            return defaults;
        return new DeploySpec
        {
            DrainTimeout = deploy.Duration("drainTimeout") ?? defaults.DrainTimeout,
            BuildTimeout = deploy.Duration("buildTimeout") ?? defaults.BuildTimeout,
            ReleaseTimeout = deploy.Duration("releaseTimeout") ?? defaults.ReleaseTimeout,
            StopTimeout = deploy.Duration("stopTimeout") ?? defaults.StopTimeout,
            BuildMemoryBytes = ResourcesReader.Memory(deploy, "buildMemory"),
        };
    }

    private static string? RelativePath(ManifestObject service, string key, string where)
    {
        var value = service.String(key, "a relative directory like \"apps/api\"");
        if (value is null)
            return null;
        if (TryNormalizeRelative(value, where, out var normalized, out var problem))
            return normalized;

        service.Error(key, $"expected a relative directory like \"apps/api\", got {ManifestObject.Quote(value)}: {problem}");
        return null;
    }

    /// <summary>A "/"-separated directory that cannot leave its base: not absolute, no "..". Normalized:
    /// "./apps/api/" is "apps/api", and the base itself is ".". Same rule as the schema's relativeDirectory.
    /// </summary>
    public static bool TryNormalizeRelative(string value, string where, out string normalized, out string problem)
    {
        normalized = ".";
        problem = "";
        if (value.Contains('\\', StringComparison.Ordinal))
            problem = "use \"/\" between directories";
        else if (value.StartsWith('/') || (value.Length >= 2 && char.IsAsciiLetter(value[0]) && value[1] == ':'))
            problem = $"it must be relative ({where})";
        else if (value.Split('/').Contains(".."))
            problem = $"it must stay {where}, without \"..\"";
        if (problem.Length > 0)
            return false;

        var segments = value.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(segment => segment != ".").ToArray();
        normalized = segments.Length == 0 ? "." : string.Join('/', segments);
        return true;
    }

    private static string? RoutePath(ManifestObject service)
    {
        var value = service.String("path", "a path prefix like \"/api\"");
        if (value is null)
            return null;
        if (!ManifestKeys.RoutePattern().IsMatch(value))
        {
            service.Error("path", "expected a path prefix starting with \"/\" like \"/api\" (letters, digits, \"-\", \"_\", " +
                                  $"\".\", \"~\"), got {ManifestObject.Quote(value)}");
            return null;
        }

        // "/api/" and "/api" route the same; one spelling makes duplicate detection exact.
        return value.Length > 1 ? value.TrimEnd('/') : value;
    }

    private static bool LooksSecret(string key)
    {
        var upper = key.ToUpperInvariant();
        string[] words = ["PASSWORD", "SECRET", "TOKEN", "API_KEY", "PRIVATE_KEY", "ACCESS_KEY"];
        return words.Any(word => upper.Contains(word, StringComparison.Ordinal));
    }
}
