namespace Slipway.Api;

/// <summary>Host settings the API reports (from `slipway server`'s flags; Hosting maps and validates them).</summary>
internal sealed class ApiOptions
{
    /// <summary>The platform's data directory, which `/v1/ping` reports so the CLI can tell platforms apart.</summary>
    public string DataDir { get; set; } = "";

    /// <summary>The self-contained linux-x64 CLI handed out at /v1/cli/linux-x64 (`--cli-file`); null: the
    /// platform's own executable when it is one, else the one published beside it (cli/linux-x64/slipway).</summary>
    public string? CliFile { get; set; }

    /// <summary>The TCP API port (`--api-port`), where a scraper on this machine may read /metrics without a token.</summary>
    public int? ApiPort { get; set; }

    /// <summary>The platform's hostname (`--platform-host`), where the edge serves the API and the git remotes.</summary>
    public string PlatformHost { get; set; } = "slipway.localhost";

    /// <summary>How often a followed log stream that has nothing to say sends a keep-alive (an empty line): a quarter
    /// of the edge's idle cut of the platform's responses (Hosting's PlatformIdleTimeout, 60 s), so a quiet app's
    /// stream stays open through the edge and any proxy with a similar limit.</summary>
    public TimeSpan StreamKeepAlive { get; set; } = TimeSpan.FromSeconds(15);
}
