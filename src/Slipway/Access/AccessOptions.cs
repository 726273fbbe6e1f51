namespace Slipway.Access;

/// <summary>Access settings, mapped from `slipway server`'s flags (Hosting/SubsystemOptions.cs).</summary>
internal sealed class AccessOptions
{
    /// <summary>How long audit lines are kept.</summary>
    public TimeSpan AuditRetention { get; set; } = TimeSpan.FromDays(365);

    /// <summary>A browser session ends after this long without a request...</summary>
    public TimeSpan SessionIdle { get; set; } = TimeSpan.FromHours(12);

    /// <summary>...and after this long in any case.</summary>
    public TimeSpan SessionMax { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A CLI login (`slipway login`) lasts this long without use, renewed by each use.</summary>
    public TimeSpan CliSessionIdle { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The name authenticator apps show beside a user's codes (the platform host).</summary>
    public string Issuer { get; set; } = "Slipway";
}
