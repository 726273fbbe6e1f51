using System.Text.Json.Serialization;

namespace Slipway.Manifests;

/// <summary>What a user declared for an app (slipway.json, or detected from its source), after validation
/// and with every default filled in. Immutable; a deployment stores it as JSON so a rollback runs exactly
/// what was declared then.</summary>
internal sealed record AppSpec
{
    /// <summary>App name from the manifest's optional "name"; the CLI's --app wins over it.</summary>
    public string? Name { get; init; }

    /// <summary>Services by name, in declaration order.</summary>
    public required IReadOnlyList<ServiceSpec> Services { get; init; }

    public DeploySpec Deploy { get; init; } = new();

    /// <summary>App-wide rewrites, redirects and headers ("routes"); none by default.</summary>
    public RoutesSpec Routes { get; init; } = new();

    /// <summary>Scheduled jobs ("crons"), in declaration order; none by default.</summary>
    public IReadOnlyList<CronSpec> Crons { get; init; } = [];

    /// <summary>Built-in alert rules adjusted for this app and its custom rules ("alerts"); none by default.</summary>
    public IReadOnlyList<AlertRuleSpec> Alerts { get; init; } = [];

    /// <summary>The config variables the app declares it needs (checked before every deployment).</summary>
    public IReadOnlyList<VariableSpec> Variables { get; init; } = [];

    /// <summary>Databases each environment gets its own of ("databases"); none by default.</summary>
    public IReadOnlyList<DatabaseSpec> Databases { get; init; } = [];

    /// <summary>Persistent directories of each environment ("volumes"); none by default.</summary>
    public IReadOnlyList<VolumeSpec> Volumes { get; init; } = [];

    /// <summary>Error tracking's options ("errors"): what the build gets for browser SDKs.</summary>
    public ErrorsSpec Errors { get; init; } = new();

    /// <summary>Where the spec came from: "slipway.json", "converted from railway.json" (another platform's
    /// file, see Compat/), or "detected: ..." when no manifest was found.</summary>
    public string Origin { get; init; } = "slipway.json";
}

[JsonConverter(typeof(KebabCaseEnumConverter<ServiceType>))]
internal enum ServiceType { Web, Worker, Static }

[JsonConverter(typeof(KebabCaseEnumConverter<RestartPolicy>))]
internal enum RestartPolicy { OnFailure, Always, Never }

/// <summary>How a rollout replaces a service's instances. StartFirst: the new ones start beside the old ones,
/// which stop once the new ones passed their health check (web services; no downtime). StopFirst: the old ones
/// stop (SIGTERM, the stop timeout to finish their work) before the new ones start, so two versions of a queue
/// consumer never run at once; the old ones start again if the new ones fail (workers only).</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<RolloutStrategy>))]
internal enum RolloutStrategy { StartFirst, StopFirst }

internal sealed record ServiceSpec
{
    public required string Name { get; init; }
    public ServiceType Type { get; init; } = ServiceType.Web;

    /// <summary>Directory of the service inside the app source, relative, "/"-separated; "." for the app root.</summary>
    public string Root { get; init; } = ".";

    /// <summary>Dependency install command run in Root at build time (e.g. "npm ci"); null for none.</summary>
    public string? Install { get; init; }

    /// <summary>Build command run in Root after Install; null for none.</summary>
    public string? Build { get; init; }

    /// <summary>Command that starts one instance (web, worker). Null for static services.</summary>
    public string? Start { get; init; }

    /// <summary>Release command (migrations): runs once per deployment against the new build, before any new
    /// instance starts. Null for none.</summary>
    public string? Release { get; init; }

    /// <summary>Static services: the directory (relative to Root) holding the built files.</summary>
    public string? Output { get; init; }

    /// <summary>Static services: serve index.html for unknown paths that do not look like files. Off unless declared:
    /// a plain static site answers 404 for a path it does not have.</summary>
    public bool Spa { get; init; }

    /// <summary>Path prefix this service answers under the app's hostnames ("/" for everything else).</summary>
    public string Path { get; init; } = "/";

    public HealthcheckSpec Healthcheck { get; init; } = new();
    public int Replicas { get; init; } = 1;
    public RestartSpec Restart { get; init; } = new();

    /// <summary>How a rollout replaces this service's instances ("strategy"). The default follows the type, also for
    /// specs recorded before the key existed: workers stop first, web services start first.</summary>
    public RolloutStrategy Strategy
    {
        get => _strategy ?? (Type == ServiceType.Worker ? RolloutStrategy.StopFirst : RolloutStrategy.StartFirst);
        init => _strategy = value;
    }

    private readonly RolloutStrategy? _strategy;

    /// <summary>Plain (non-secret) environment variables declared in the manifest.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>What each instance may use ("resources"); the platform's defaults where unset.</summary>
    public ResourcesSpec Resources { get; init; } = ResourcesSpec.Defaults;
}

internal sealed record HealthcheckSpec
{
    /// <summary>Path probed by the platform. Default "/": any non-5xx answer counts as healthy.</summary>
    public string Path { get; init; } = "/";

    /// <summary>Per-probe timeout.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Time between probes.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a new instance may take to become healthy before the deployment fails.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

internal sealed record RestartSpec
{
    public RestartPolicy Policy { get; init; } = RestartPolicy.OnFailure;

    /// <summary>Restarts allowed in a row (reset once an instance has run for a while) before it is marked crashed.</summary>
    public int MaxRetries { get; init; } = 10;
}

/// <summary>Error tracking's options. Browser: the build gets the environment's DSN, release and tunnel path as
/// VITE_SENTRY_* and NEXT_PUBLIC_SENTRY_* (a browser SDK needs them inlined at build time). SourceMaps: a Vite or
/// Next.js build is asked for hidden source maps, which are kept with the release to show browser stacks in the
/// original source, and never served.</summary>
internal sealed record ErrorsSpec
{
    public bool Browser { get; init; }

    public bool SourceMaps { get; init; }
}

internal sealed record DeploySpec
{
    /// <summary>How long old instances get to finish in-flight requests after traffic moves.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Time limit for install + build of all services.</summary>
    public TimeSpan BuildTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Time limit for each release command.</summary>
    public TimeSpan ReleaseTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>SIGTERM to SIGKILL grace when stopping an instance.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The most memory each install and build step may use ("buildMemory"); null: the platform's default (4 GiB).</summary>
    public long? BuildMemoryBytes { get; init; }
}
