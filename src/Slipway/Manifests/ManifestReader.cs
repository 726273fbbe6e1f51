using System.Text.Json;
using System.Text.RegularExpressions;

namespace Slipway.Manifests;

/// <summary>Turns the parsed slipway.json into declared services, checking keys, types and formats. Rules that
/// need the file system or several services at once live in <see cref="ServiceResolver"/>.</summary>
internal static partial class ManifestReader
{
    // The keys accepted at each level. Tests compare them with schemas/slipway.schema.json so the two cannot
    // drift apart; add a key in both places.
    public static readonly IReadOnlyList<string> RootKeys = ["$schema", "name", "services", "deploy"];

    public static readonly IReadOnlyList<string> ServiceKeys =
    [
        "type", "root", "install", "build", "start", "release", "output", "spa", "path", "healthcheck", "replicas",
        "restart", "env",
    ];

    public static readonly IReadOnlyList<string> HealthcheckKeys = ["path", "timeout", "interval", "startTimeout"];
    public static readonly IReadOnlyList<string> RestartKeys = ["policy", "maxRetries"];
    public static readonly IReadOnlyList<string> DeployKeys = ["drainTimeout", "buildTimeout", "releaseTimeout", "stopTimeout"];

    public static readonly IReadOnlyDictionary<string, ServiceType> ServiceTypes = new Dictionary<string, ServiceType>
    {
        ["web"] = ServiceType.Web, ["worker"] = ServiceType.Worker, ["static"] = ServiceType.Static,
    };

    public static readonly IReadOnlyDictionary<string, RestartPolicy> RestartPolicies = new Dictionary<string, RestartPolicy>
    {
        ["on-failure"] = RestartPolicy.OnFailure, ["always"] = RestartPolicy.Always, ["never"] = RestartPolicy.Never,
    };

    /// <summary>Set by the platform for every instance; a manifest value would be overwritten or, worse, win.</summary>
    public static readonly IReadOnlyList<string> ReservedEnv = ["PORT", "HOST"];

    public const int MaxReplicas = 32;

    // Where keys that people put at the wrong level actually go.
    private static readonly Dictionary<string, string> MisplacedAtRoot = ServiceKeys
        .ToDictionary(key => key, key => $"service settings go under services.<name>.{key}")
        .Concat(DeployKeys.ToDictionary(key => key, key => $"did you mean deploy.{key}?"))
        .ToDictionary();

    private static readonly Dictionary<string, string> MisplacedInService = new()
    {
        ["timeout"] = "did you mean healthcheck.timeout?",
        ["interval"] = "did you mean healthcheck.interval?",
        ["startTimeout"] = "did you mean healthcheck.startTimeout?",
        ["policy"] = "did you mean restart.policy?",
        ["maxRetries"] = "did you mean restart.maxRetries?",
        ["port"] = "the platform chooses the port and passes it in the PORT environment variable; listen on that",
        ["drainTimeout"] = "deploy settings apply to the whole app: did you mean deploy.drainTimeout (top level)?",
        ["buildTimeout"] = "deploy settings apply to the whole app: did you mean deploy.buildTimeout (top level)?",
        ["releaseTimeout"] = "deploy settings apply to the whole app: did you mean deploy.releaseTimeout (top level)?",
        ["stopTimeout"] = "deploy settings apply to the whole app: did you mean deploy.stopTimeout (top level)?",
    };

    [GeneratedRegex("^[a-z][a-z0-9-]{0,39}$")]
    public static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    public static partial Regex EnvKeyPattern();

    /// <summary>Route prefixes: "/" or "/segment/segment" with URL-safe characters, optional trailing "/".</summary>
    [GeneratedRegex("^(/[A-Za-z0-9._~-]+)*/?$")]
    public static partial Regex RoutePattern();

    private const string NameRule = "lowercase letters, digits and \"-\", starting with a letter, at most 40 characters";

    public static (string? Name, IReadOnlyList<DeclaredService> Services, DeploySpec Deploy) Read(
        JsonElement document, ManifestDiagnostics diagnostics)
    {
        var root = ManifestObject.Open(document, "", diagnostics, RootKeys, MisplacedAtRoot);
        if (root is null)
            return (null, [], new DeploySpec());

        var name = root.String("name", "an app name");
        if (name is not null && !NamePattern().IsMatch(name))
            root.Error("name", $"expected {NameRule}, got {ManifestObject.Quote(name)}");

        return (name, ReadServices(root, diagnostics), ReadDeploy(root));
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

            if (!NamePattern().IsMatch(property.Name))
                diagnostics.Error(path, $"service names must be {NameRule}; got {ManifestObject.Quote(property.Name)}");

            var service = ManifestObject.Open(property.Value, path, diagnostics, ServiceKeys, MisplacedInService);
            if (service is not null)
                services.Add(new DeclaredService(path, ReadService(property.Name, service, diagnostics), service.Keys.ToArray()));
        }

        if (seen.Count == 0)
            root.Error("services", $"expected at least one service, e.g. {example}");
        return services;
    }

    private static ServiceSpec ReadService(string name, ManifestObject service, ManifestDiagnostics diagnostics)
    {
        var spec = new ServiceSpec
        {
            Name = name,
            Type = service.Enum("type", ServiceTypes) ?? ServiceType.Web,
            Root = RelativePath(service, "root", "inside the app source") ?? ".",
            Install = service.String("install", "a command", nullable: true),
            Build = service.String("build", "a command", nullable: true),
            Start = service.String("start", "a command", nullable: true),
            Release = service.String("release", "a command", nullable: true),
            Output = RelativePath(service, "output", "inside the service's root"),
            Replicas = service.Int("replicas", 1, MaxReplicas) ?? 1,
        };

        if (service.Bool("spa") is { } spa)
            spec = spec with { Spa = spa };
        if (RoutePath(service) is { } route)
            spec = spec with { Path = route };
        if (service.Object("healthcheck", HealthcheckKeys) is { } healthcheck)
            spec = spec with { Healthcheck = ReadHealthcheck(healthcheck) };
        if (service.Object("restart", RestartKeys) is { } restart)
            spec = spec with { Restart = ReadRestart(restart, diagnostics) };
        if (service.Raw("env") is { } env)
            spec = spec with { Env = ReadEnv(env, service.PathOf("env"), diagnostics) };
        return spec;
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
            Policy = restart.Enum("policy", RestartPolicies) ?? defaults.Policy,
            MaxRetries = restart.Int("maxRetries", 0, 1000) ?? defaults.MaxRetries,
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
            diagnostics.Error(path, $"expected an object of variables like {{ \"LOG_LEVEL\": \"info\" }}, got {ManifestObject.Describe(env)}");
            return result;
        }

        foreach (var property in env.EnumerateObject())
        {
            var key = property.Name;
            var value = property.Value;
            var keyPath = ManifestDiagnostics.Join(path, key);
            if (!EnvKeyPattern().IsMatch(key))
                diagnostics.Error(keyPath, "environment variable names are letters, digits and \"_\", not starting with a digit");
            else if (ReservedEnv.Contains(key))
                diagnostics.Error(keyPath, $"{key} is set by the platform for every instance (listen on $PORT); remove it");
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

            if (LooksSecret(key))
                diagnostics.Warn(keyPath, "looks like a secret; slipway.json is part of the source, so store it as a secret instead");
            result[key] = text;
        }

        return result;
    }

    private static DeploySpec ReadDeploy(ManifestObject root)
    {
        var defaults = new DeploySpec();
        if (root.Object("deploy", DeployKeys) is not { } deploy)
            return defaults;
        return new DeploySpec
        {
            DrainTimeout = deploy.Duration("drainTimeout") ?? defaults.DrainTimeout,
            BuildTimeout = deploy.Duration("buildTimeout") ?? defaults.BuildTimeout,
            ReleaseTimeout = deploy.Duration("releaseTimeout") ?? defaults.ReleaseTimeout,
            StopTimeout = deploy.Duration("stopTimeout") ?? defaults.StopTimeout,
        };
    }

    /// <summary>A "/"-separated directory that cannot leave its base: no absolute paths, no "..". Returned
    /// normalized ("./apps/api/" is "apps/api", "" segments and "." dropped, "." for the base itself).</summary>
    private static string? RelativePath(ManifestObject service, string key, string where)
    {
        var value = service.String(key, "a relative directory like \"apps/api\"");
        if (value is null)
            return null;

        string? problem = null;
        if (value.Contains('\\', StringComparison.Ordinal))
            problem = "use \"/\" between directories";
        else if (value.StartsWith('/') || (value.Length >= 2 && value[1] == ':'))
            problem = $"it must be relative ({where})";
        else if (value.Split('/').Contains(".."))
            problem = $"it must stay {where}, without \"..\"";

        if (problem is not null)
        {
            service.Error(key, $"expected a relative directory like \"apps/api\", got {ManifestObject.Quote(value)}: {problem}");
            return null;
        }

        var segments = value.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(segment => segment != ".").ToArray();
        return segments.Length == 0 ? "." : string.Join('/', segments);
    }

    private static string? RoutePath(ManifestObject service)
    {
        var value = service.String("path", "a path prefix like \"/api\"");
        if (value is null)
            return null;
        if (!RoutePattern().IsMatch(value))
        {
            service.Error("path", $"expected a path prefix starting with \"/\" like \"/api\" (letters, digits, \"-\", \"_\", \".\", \"~\"), got {ManifestObject.Quote(value)}");
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
