namespace Slipway.Api;

/// <summary>Host settings the API reports (from `slipway server`'s flags; Hosting maps and validates them).</summary>
internal sealed class ApiOptions
{
    /// <summary>The platform's data directory, which `/v1/ping` reports so the CLI can tell platforms apart.</summary>
    public string DataDir { get; set; } = "";
}
