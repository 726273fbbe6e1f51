namespace Slipway.Monitoring.Uptime;

/// <summary>Host settings of the uptime checks (mapped by Hosting). Tests shorten the intervals.</summary>
internal sealed class UptimeOptions
{
    /// <summary>Where DATA/uptime.db (every check's raw results) lives.</summary>
    public string DataDir { get; set; } = "";

    /// <summary>The shortest interval a check may have (`uptime add --every`): a check is a request to someone's site.</summary>
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The interval of a check that did not set one, default checks included.</summary>
    public TimeSpan DefaultInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the scheduler looks for due checks (and reads the checks again every few ticks).</summary>
    public TimeSpan Tick { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the list of checks (apps deployed or destroyed, checks added elsewhere) is read again.</summary>
    public TimeSpan Reconcile { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Checks running at once; the others wait for their turn.</summary>
    public int Concurrency { get; set; } = 8;

    /// <summary>Raw results kept (availability comes from incidents, which are kept longer).</summary>
    public TimeSpan ResultsKept { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The size DATA/uptime.db may reach; past it the oldest results go.</summary>
    public long ResultsMaxBytes { get; set; } = 64L << 20;

    /// <summary>Closed incidents kept (the status page's 90-day bars need them).</summary>
    public TimeSpan IncidentsKept { get; set; } = TimeSpan.FromDays(100);
}
