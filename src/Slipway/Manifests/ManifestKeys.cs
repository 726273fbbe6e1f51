using System.Text.RegularExpressions;

namespace Slipway.Manifests;

/// <summary>The vocabulary of slipway.json: keys allowed at each level, enum spellings and name patterns.
/// schemas/slipway.schema.json must say the same; SchemaTests compare the two, so add a key in both places.
/// </summary>
internal static partial class ManifestKeys
{
    public static readonly IReadOnlyList<string> RootKeys =
    [
        "$schema", "name", "otherFiles", "services", "variables", "routes", "crons", "deploy", "databases", "volumes", "alerts", "errors",
    ];

    public static readonly IReadOnlyList<string> ErrorsKeys = ["browser", "sourceMaps"];

    public static readonly IReadOnlyList<string> AlertKeys =
    [
        "enabled", "metric", "over", "under", "for", "minRequests", "count", "severity", "channels", "service", "route",
    ];

    public const string OtherFilesKey = "otherFiles";

    public static readonly IReadOnlyDictionary<string, OtherFiles> OtherFilesModes = new Dictionary<string, OtherFiles>
    {
        ["merge"] = OtherFiles.Merge, ["ignore"] = OtherFiles.Ignore,
    };

    public static readonly IReadOnlyList<string> DatabaseKeys = ["type", "var", "maxMemory", "backups"];
    public static readonly IReadOnlyList<string> DatabaseBackupKeys = ["schedule", "keepDaily", "keepWeekly"];

    public static readonly IReadOnlyList<string> VariableKeys =
    [
        "type", "required", "secret", "build", "description", "default", "minLength", "pattern", "values", "items", "environments",
    ];

    public static readonly IReadOnlyList<string> ServiceKeys =
    [
        "type", "root", "install", "build", "start", "release", "output", "spa", "path", "healthcheck", "replicas",
        "restart", "strategy", "env", "resources",
    ];

    public static readonly IReadOnlyList<string> ResourceKeys = ["memory", "cpu", "pids"];

    public static readonly IReadOnlyList<string> HealthcheckKeys = ["path", "timeout", "interval", "startTimeout"];
    public static readonly IReadOnlyList<string> RestartKeys = ["policy", "maxRetries"];
    public static readonly IReadOnlyList<string> DeployKeys = ["drainTimeout", "buildTimeout", "releaseTimeout", "stopTimeout", "buildMemory"];

    public static readonly IReadOnlyList<string> RoutesKeys =
    [
        "rewrites", "redirects", "headers", "cleanUrls", "trailingSlash", "cors", "rateLimits", "securityHeaders", "limits",
        "forceHttps",
    ];
    public static readonly IReadOnlyList<string> CorsKeys = ["source", "origins", "methods", "headers", "exposeHeaders", "credentials", "maxAge"];
    public static readonly IReadOnlyList<string> RateLimitKeys = ["source", "limit", "window", "mode"];
    public static readonly IReadOnlyList<string> LimitsKeys = ["maxBodySize", "connectTimeout", "responseTimeout"];
    public static readonly IReadOnlyList<string> RewriteKeys = ["source", "destination"];
    public static readonly IReadOnlyList<string> RedirectKeys = ["source", "destination", "permanent", "statusCode"];
    public static readonly IReadOnlyList<string> HeaderRuleKeys = ["source", "headers"];
    public static readonly IReadOnlyList<string> HeaderKeys = ["key", "value"];
    public static readonly IReadOnlyList<string> CronKeys =
    [
        "name", "schedule", "timeZone", "path", "method", "command", "service", "timeout", "concurrency", "retries", "retryBackoff", "missed",
    ];
    public static readonly IReadOnlyList<int> RedirectStatusCodes = [301, 302, 307, 308];

    public static readonly IReadOnlyDictionary<string, ServiceType> ServiceTypes = new Dictionary<string, ServiceType>
    {
        ["web"] = ServiceType.Web, ["worker"] = ServiceType.Worker, ["static"] = ServiceType.Static,
    };

    public static readonly IReadOnlyDictionary<string, RestartPolicy> RestartPolicies = new Dictionary<string, RestartPolicy>
    {
        ["on-failure"] = RestartPolicy.OnFailure, ["always"] = RestartPolicy.Always, ["never"] = RestartPolicy.Never,
    };

    /// <summary>No single default: workers stop first, web services start first (<see cref="ServiceSpec.Strategy"/>).</summary>
    public static readonly IReadOnlyDictionary<string, RolloutStrategy> Strategies = new Dictionary<string, RolloutStrategy>
    {
        ["start-first"] = RolloutStrategy.StartFirst, ["stop-first"] = RolloutStrategy.StopFirst,
    };

    /// <summary>Set by the platform for every instance; a manifest value would be overwritten or, worse, win.</summary>
    public static readonly IReadOnlyList<string> ReservedEnv = ["PORT", "HOST"];

    public const int MaxReplicas = 32;
    public const int MaxRetries = 1000;

    // Where keys that people put at the wrong level actually go.
    public static readonly IReadOnlyDictionary<string, string> MisplacedAtRoot = ServiceKeys
        .ToDictionary(key => key, key => $"service settings go under services.<name>.{key}")
        .Concat(DeployKeys.ToDictionary(key => key, key => $"did you mean deploy.{key}?"))
        .ToDictionary();

    public static readonly IReadOnlyDictionary<string, string> MisplacedInService = new Dictionary<string, string>
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
        ["routes"] = "routes apply to the whole app: move \"routes\" to the top level",
        ["crons"] = "crons belong to the whole app: move \"crons\" to the top level (with \"service\" naming this one)",
        ["volumes"] = "volumes belong to the environment and every service sees them: move \"volumes\" to the top level",
        ["memory"] = "did you mean resources.memory?",
        ["cpu"] = "did you mean resources.cpu?",
        ["pids"] = "did you mean resources.pids?",
    };

    [GeneratedRegex("^[a-z][a-z0-9-]{0,39}$")]
    public static partial Regex NamePattern();

    /// <summary>A route source: a path pattern starting with "/", e.g. "/api/:path*" or "/(.*)".</summary>
    [GeneratedRegex(@"^/\S*$")]
    public static partial Regex SourcePattern();

    /// <summary>A rewrite or redirect destination: a path in the app, or an absolute http(s) URL.</summary>
    [GeneratedRegex(@"^(/|https?://)\S*$")]
    public static partial Regex DestinationPattern();

    /// <summary>Five cron fields separated by spaces. Shape only: what each field means is the scheduler's job.</summary>
    [GeneratedRegex(@"^\S+( +\S+){4}$")]
    public static partial Regex SchedulePattern();

    /// <summary>An HTTP header name (an RFC 9110 token).</summary>
    [GeneratedRegex("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]
    public static partial Regex HeaderNamePattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    public static partial Regex EnvKeyPattern();

    /// <summary>Route prefixes: "/" or "/segment/segment" with URL-safe characters, optional trailing "/".</summary>
    [GeneratedRegex("^(/[A-Za-z0-9._~-]+)*/?$")]
    public static partial Regex RoutePattern();
}
