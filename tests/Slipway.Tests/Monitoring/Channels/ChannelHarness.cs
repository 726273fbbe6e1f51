using Dapper;
using Slipway.Config;
using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Channels;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Monitoring.Channels;

/// <summary>The alert channels as the platform wires them, without the rest of it: a real SQLite store and keyring in
/// a temp directory, the real <see cref="AlertChannels"/> with short timings, and its recorded log.</summary>
internal sealed class ChannelHarness : IAsyncDisposable
{
    private readonly string _dir;
    private readonly bool _ownsDir;

    private ChannelHarness(string dir, bool ownsDir, AlertChannelsOptions options)
    {
        _dir = dir;
        _ownsDir = ownsDir;
        Store = new Store(Path.Combine(dir, "slipway.db"), TimeProvider.System, [new ChannelRows()], []);
        Channels = new ChannelStore(Store, new Keyring(dir));
        Alerts = new AlertChannels(Channels, Store, options, TimeProvider.System, Log);
    }

    public Store Store { get; }
    public ChannelStore Channels { get; }
    public AlertChannels Alerts { get; }
    public RecordingLogger<AlertChannels> Log { get; } = new();
    public string Dir => _dir;

    /// <summary>Short timings: retries after ~50-100 ms, a delivery given up after 3 attempts.</summary>
    public static AlertChannelsOptions Fast() => new()
    {
        RetryBase = TimeSpan.FromMilliseconds(100),
        RetryCap = TimeSpan.FromMilliseconds(400),
        MaxAttempts = 3,
        AttemptTimeout = TimeSpan.FromSeconds(5),
        Tick = TimeSpan.FromSeconds(1),
        PlatformHost = "paas.example.com",
    };

    /// <param name="dir">An existing harness's directory: a platform started again on the same data.</param>
    public static async Task<ChannelHarness> StartAsync(AlertChannelsOptions? options = null, string? dir = null)
    {
        var harness = new ChannelHarness(dir ?? TempDirs.Create("channels"), dir is null, options ?? Fast());
        await harness.Alerts.StartAsync(CancellationToken.None);
        return harness;
    }

    public ChannelAdded Add(string name, string? webhook = null, string? slack = null, string? discord = null, string? email = null, string? smtp = null,
        string? password = null, string? severity = null, string[]? apps = null) =>
        Alerts.Add(ChannelSpec.Parse(name, webhook, slack, discord, email, smtp, null, null, password, severity, apps, "paas.example.com"));

    /// <summary>The platform's own events (no app), newest first.</summary>
    public IReadOnlyList<(string Kind, string Message)> PlatformEvents()
    {
        using var c = Store.Connections.Open();
        return c.Query<(string Kind, string Message)>("select kind, message from events where app is null order by id desc").AsList();
    }

    public ChannelView View(string name) => Alerts.List().Single(c => c.Name == name);

    public static AlertNotice Notice(string id, NoticeKind kind = NoticeKind.Firing, string? app = "shop", AlertSeverity severity = AlertSeverity.Critical,
        string alertId = "al-1", string[]? channels = null, string title = "shop: uptime check failing")
    {
        var started = new DateTimeOffset(2026, 12, 3, 6, 0, 0, TimeSpan.Zero);
        return new AlertNotice(id, alertId, kind, "uptime", "check:shop-home", app, severity, title, "GET https://shop.example.com/healthz: 503 twice in a row",
            started, kind == NoticeKind.Resolved ? started.AddMinutes(4) : null, kind == NoticeKind.Resolved ? started.AddMinutes(4) : started, channels ?? [],
            "https://shop.example.com/healthz");
    }

    /// <summary>Waits until <paramref name="done"/> holds (or the time is over: the caller's assertions say what was wrong).</summary>
    public static async Task Eventually(Func<bool> done, double seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!done() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Alerts.StopAsync(CancellationToken.None);
        Alerts.Dispose();
        if (_ownsDir)
        {
            TempDirs.Delete(_dir);
        }
    }
}
