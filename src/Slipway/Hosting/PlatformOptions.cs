namespace Slipway.Hosting;

/// <summary>Host settings of one running platform (command-line flags of `slipway server`). Only Hosting and the
/// CLI read this record: Hosting maps it onto each subsystem's own options (SubsystemOptions).</summary>
internal sealed record PlatformOptions
{
    public required string DataDir { get; init; }

    /// <summary>The edge's HTTP port; 0 picks a free one (tests).</summary>
    public int HttpPort { get; init; } = 8080;

    /// <summary>Address the edge listens on: loopback unless the admin opens it up.</summary>
    public string HttpAddress { get; init; } = "127.0.0.1";

    /// <summary>The edge's HTTPS port (TLS with SNI, HTTP/2); null: plain HTTP only. 0 picks a free one (tests).</summary>
    public int? HttpsPort { get; init; }

    /// <summary>Peers (IP addresses or networks) whose X-Forwarded-* headers the edge believes, e.g. a load
    /// balancer in front of it. Everyone else's are replaced.</summary>
    public IReadOnlyList<string> TrustedProxies { get; init; } = [];

    /// <summary>Write one access log line per request (access/APP log stream).</summary>
    public bool AccessLog { get; init; } = true;

    /// <summary>Export every metric at /metrics through OpenTelemetry (off: `--no-metrics`; the edge still counts for
    /// `slipway metrics`, and no instrument has a listener, so recording into them costs nothing).</summary>
    public bool MetricsExport { get; init; } = true;

    /// <summary>The hostname under which the edge serves the platform's own API (and later its dashboard) to
    /// logins and tokens from anywhere: `slipway login https://HOST`. Apps cannot claim it.</summary>
    public string PlatformHost { get; init; } = "slipway.localhost";

    /// <summary>The self-contained CLI to hand out for download (see Api/ApiOptions.CliFile).</summary>
    public string? CliFile { get; init; }

    /// <summary>Optional TCP port for the API (bearer token required); null: Unix socket only.</summary>
    public int? ApiPort { get; init; }

    /// <summary>How long a replaced deployment's instances stay running so a rollback is only a route switch.</summary>
    public TimeSpan WarmWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Builds kept per app for rollback; older ones are deleted.</summary>
    public int KeepBuilds { get; init; } = 10;

    /// <summary>Dependency caches; shared by all apps. Defaults to DATA/cache.</summary>
    public string? CacheDir { get; init; }

    /// <summary>The clock cron schedules and message delays are read from; null: the platform's. Tests move it
    /// by hand (Jobs/JobsClock).</summary>
    public TimeProvider? JobsClock { get; init; }

    /// <summary>Where the managed PostgreSQL cluster and redis servers keep their data; null: the default
    /// (Databases/DatabasesOptions.EffectiveDatabasesDir).</summary>
    public string? DatabasesDir { get; init; }

    /// <summary>How often the backup scheduler looks for due backups.</summary>
    public TimeSpan BackupTick { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Point-in-time recovery of the managed cluster: how far back (WAL and base backups are kept that
    /// long), and how often a base backup is taken.</summary>
    public TimeSpan PitrWindow { get; init; } = TimeSpan.FromDays(7);
    public TimeSpan BaseBackupInterval { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Confine every app process (its own user, sandbox, limits, port rules) as far as the machine allows;
    /// false (`--isolation off`) runs them as the platform's user, unlimited.</summary>
    public bool Isolation { get; init; } = true;

    /// <summary>The ACME directory certificates come from (persisted like `slipway acme set --directory`); null keeps the
    /// persisted one (Let's Encrypt by default).</summary>
    public string? AcmeDirectory { get; init; }

    /// <summary>The contact address given to the CA (persisted like `slipway acme set --email`).</summary>
    public string? AcmeEmail { get; init; }

    /// <summary>A PEM file of roots to trust for the ACME directory's HTTPS (a private CA); null: the system's roots.</summary>
    public string? AcmeCaRoot { get; init; }

    /// <summary>The one ACME challenge to answer (`--acme-challenge`: "http-01" or "tls-alpn-01", for a server whose port
    /// 80 or 443 the CA cannot reach); null: both, http-01 preferred.</summary>
    public string? AcmeChallenge { get; init; }

    /// <summary>Polling and timeouts of the ACME client (tests shorten them); null: its defaults.</summary>
    public Domains.Acme.AcmeClientOptions? AcmeClient { get; init; }

    /// <summary>How often the certificate issuer looks for due issuance and renewals.</summary>
    public TimeSpan CertificateTick { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How often alert rules are evaluated, and how long a condition must be gone before its alert resolves
    /// (Monitoring/Alerts/AlertsOptions; tests shorten both).</summary>
    public TimeSpan AlertInterval { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan AlertResolveAfter { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long the edge lets a response of the platform's own API send nothing before it cuts it (an app's
    /// default routes.limits.responseTimeout); followed log streams send a keep-alive at a quarter of it. Tests shorten it.</summary>
    public TimeSpan PlatformIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Uptime checks: the shortest interval `uptime add --every` accepts, the interval of a check that set
    /// none (default checks too), how often due checks are looked for, and how often the list of checks (deployed
    /// apps) is read again. Tests shorten them.</summary>
    public TimeSpan UptimeMinInterval { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan UptimeInterval { get; init; } = TimeSpan.FromMinutes(1);
    public TimeSpan UptimeTick { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan UptimeReconcile { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether the process hands back the executable's pages start-up touched (<see cref="ResidentCode"/>):
    /// `slipway server` does; tests, which run many platforms in one process, do not.</summary>
    public bool HandBackStartupPages { get; init; }

    /// <summary>The listening sockets handed in (by systemd, the launcher or a predecessor) or made by this process.</summary>
    public ListeningSockets Sockets { get; init; } = new();

    /// <summary>systemd or the local launcher, told when the platform is ready, stopping, and which sockets to keep.</summary>
    public ServiceManager? ServiceManager { get; init; }

    /// <summary>`slipway server`'s arguments (from "server" on): what a successor is started with on upgrade; null when the
    /// platform was not started that way (tests), which then cannot be upgraded in place.</summary>
    public IReadOnlyList<string>? ServerArguments { get; init; }

    /// <summary>How long to wait for the data directory's lock: a successor waits while its predecessor stops.</summary>
    public TimeSpan DataLockWait { get; init; }

    public string SocketPath => Path.Combine(DataDir, "slipway.sock");
    public string DatabasePath => Path.Combine(DataDir, "slipway.db");
    public string BuildsDir => Path.Combine(DataDir, "builds");
    public string LogsDir => Path.Combine(DataDir, "logs");
    public string TokenPath => Path.Combine(DataDir, "api-token");

    /// <summary>The one-time code that creates the first owner, while the platform has no user (`slipway up` prints it).</summary>
    public string SetupCodePath => Path.Combine(DataDir, "setup-code");
    public string CertsDir => Path.Combine(DataDir, "certs");
    public string EffectiveCacheDir => CacheDir ?? Path.Combine(DataDir, "cache");
}
