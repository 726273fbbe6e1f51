using Slipway.Config;
using Slipway.Monitoring;
using Slipway.Runtime;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Monitoring;

/// <summary>The drains as the platform wires them, without the rest of it: a real SQLite store and keyring in a temp
/// directory, a real <see cref="LogStore"/> whose tap is the real <see cref="Drains"/>, and its recorded log.</summary>
internal sealed class DrainHarness : IAsyncDisposable
{
    private readonly string _dir;

    private DrainHarness(string dir, DrainsOptions options)
    {
        Redactor = new SecretRedactor();
        _dir = dir;
        var rows = new DrainRows();
        Store = new Store(Path.Combine(dir, "slipway.db"), TimeProvider.System, [rows], [rows]);
        Drains = new Drains(new DrainStore(Store, new Keyring(dir)), Store, options, TimeProvider.System, Log);
        Logs = new LogStore(Path.Combine(dir, "logs"), redact: Redactor.Redact, tap: Drains);
    }

    public Store Store { get; }

    /// <summary>The platform's redactor, as the log store uses it: register an app's secrets to see them masked.</summary>
    public SecretRedactor Redactor { get; }
    public Drains Drains { get; }
    public LogStore Logs { get; }
    public RecordingLogger<Drains> Log { get; } = new();

    public static async Task<DrainHarness> StartAsync(DrainsOptions? options = null)
    {
        var harness = new DrainHarness(TempDirs.Create("drains"), options ?? new DrainsOptions());
        await harness.Drains.StartAsync(CancellationToken.None);
        return harness;
    }

    public AppRef App(string app, string env = AppRef.Production) => Store.EnsureApp(AppRef.Of(app, env)).Ref;

    public DrainView Add(string name, AppRef? scope, string? url = null, string? syslog = null, string[]? headers = null, bool access = false,
        bool gzip = false, string? ca = null) =>
        Drains.Add(DrainSpec.Parse(name, scope, url, syslog, headers, access, gzip, ca));

    public DrainView View(string name) => Drains.List().Single(d => d.Name == name);

    /// <summary>Appends <paramref name="count"/> lines "line 00000"... of app row <paramref name="key"/>, every tenth on stderr.</summary>
    public void Burst(string key, int count, int from = 0)
    {
        for (var i = from; i < from + count; i++)
        {
            Logs.Append(LogKeys.App(key), new LogEntry(DateTimeOffset.UtcNow, i % 10 == 0 ? "err" : "out", Line(i), "d-burst", "web", "i-web0"));
        }
    }

    public static string Line(int i) => $"line {i:D5}";

    public async ValueTask DisposeAsync()
    {
        await Drains.StopAsync(CancellationToken.None);
        Drains.Dispose();
        TempDirs.Delete(_dir);
    }
}
