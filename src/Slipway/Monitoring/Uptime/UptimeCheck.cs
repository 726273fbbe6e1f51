namespace Slipway.Monitoring.Uptime;

/// <summary>One check as it runs: its settings with the defaults filled in and, for a default check, the URL of its
/// app environment's live release.</summary>
/// <param name="App">The app environment's row key, or null for a platform-wide check.</param>
/// <param name="Scope">The app environment as users name it, or null.</param>
/// <param name="Url">What users see: the URL a user added, or http://APP.localhost/HEALTH for a default check.</param>
/// <param name="Target">Where the request goes: the same URL, or the edge's own port on 127.0.0.1 for a default check.</param>
/// <param name="Host">The Host header to send when it is not the target's (a default check: the app's hostname).</param>
internal sealed record UptimeCheck(
    string Id,
    string Name,
    UptimeCheckKind Kind,
    string? App,
    AppRef? Scope,
    string Url,
    Uri Target,
    string? Host,
    TimeSpan Interval,
    UptimeExpectation Expect,
    TimeSpan Timeout,
    double Slo,
    bool Paused,
    DateTimeOffset Since)
{
    public const double DefaultSlo = 99.9;
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>What a request of this check is, for titles: "GET https://shop.example.com/health".</summary>
    /// <summary>"GET https://api.example.com/health": shown on status pages and in alerts, so without user info and
    /// with a query (it may carry a token) reduced to "?…".</summary>
    public string Request => Uri.TryCreate(Url, UriKind.Absolute, out var uri)
        ? $"GET {uri.Scheme}://{uri.Authority}{uri.AbsolutePath}{(uri.Query.Length > 1 ? "?…" : "")}"
        : $"GET {Url}";

    /// <summary>A user's check of one app environment: it may not reach this machine or a private network (the
    /// platform's own ports, other apps', the databases, a cloud's metadata address). Default checks go to the edge
    /// on loopback; platform-wide checks are an owner's or a platform admin's and may go anywhere.</summary>
    public bool Confined => Kind == UptimeCheckKind.User && App is { Length: > 0 };

    /// <summary>"shop" or "shop (staging)", or "platform" for a platform-wide check, for messages.</summary>
    public string Whose => Scope?.ToString() ?? "platform";
}
