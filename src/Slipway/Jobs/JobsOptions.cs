namespace Slipway.Jobs;

/// <summary>Host settings of jobs (mapped by Hosting).</summary>
internal sealed class JobsOptions
{
    /// <summary>The platform's SQLite database, where Jobs keeps its own tables.</summary>
    public string DatabasePath { get; set; } = "";

    /// <summary>The clock cron schedules and message delays are read from; null: the platform's. Tests move it
    /// by hand (JobsClock).</summary>
    public TimeProvider? Clock { get; set; }
}
