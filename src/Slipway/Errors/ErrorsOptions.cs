namespace Slipway.Errors;

/// <summary>Error tracking's settings.</summary>
/// <param name="DataDir">Where errors.db and errors.port are (the platform's data directory).</param>
internal sealed record ErrorsOptions(string DataDir)
{
    /// <summary>The largest request body, as sent (compressed or not).</summary>
    public long MaxBody { get; init; } = 2 * 1024 * 1024;

    /// <summary>The largest body once decompressed (no gzip bombs).</summary>
    public long MaxDecompressed { get; init; } = 10 * 1024 * 1024;

    /// <summary>The largest single event.</summary>
    public int MaxEvent { get; init; } = 1024 * 1024;

    /// <summary>Events a project may send per minute; past it the SDK is told to wait (429).</summary>
    public int EventsPerMinute { get; init; } = 600;

    /// <summary>How long events and issues are kept after they were last seen.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Stored event bodies per app environment; past it the oldest events go (each issue keeps its latest).</summary>
    public long MaxBytesPerApp { get; init; } = 200L * 1024 * 1024;

    /// <summary>How often the retention sweep runs.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromMinutes(10);
}
