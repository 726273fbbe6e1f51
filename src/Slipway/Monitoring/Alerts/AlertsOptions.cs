namespace Slipway.Monitoring.Alerts;

/// <summary>Host settings of the alert engine (Hosting/SubsystemOptions.cs maps the flags; tests shorten them).</summary>
internal sealed class AlertsOptions
{
    /// <summary>How often every source is asked which conditions hold.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a condition must have been gone before its alert resolves: a condition that comes back within
    /// it (a flapping check, a rate hovering at its threshold) stays one alert, with no resolved-and-firing-again
    /// pair of notices.</summary>
    public TimeSpan ResolveAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Resolved alerts older than this are deleted.</summary>
    public TimeSpan Kept { get; set; } = TimeSpan.FromDays(90);
}
