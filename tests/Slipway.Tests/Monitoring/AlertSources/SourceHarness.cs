using Microsoft.Data.Sqlite;
using Slipway.Databases;
using Slipway.Domains;
using Slipway.Jobs;
using Slipway.Monitoring.Alerts;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Monitoring.AlertSources;

/// <summary>Real stores on a temporary data directory, on a clock the test moves, and the evaluation context the
/// alert engine would hand a source: each rule's defaults, on, with the test's overrides on top (per app
/// environment row, or platform-wide with app null).</summary>
internal sealed class SourceHarness : IDisposable
{
    public static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-12-04T10:00:30Z", System.Globalization.CultureInfo.InvariantCulture);

    private readonly Dictionary<(string Rule, string? App), AlertRuleSettings> _overrides = [];

    public SourceHarness()
    {
        Dir = TempDirs.Create("alerts");
        Store = new Store(DatabasePath, Clock);
        Jobs = new JobStore(DatabasePath);
        Databases = new DatabaseStore(Store);
        Domains = new DomainStore(Store);
    }

    public string Dir { get; }
    public string DatabasePath => Path.Combine(Dir, "slipway.db");
    public ManualClock Clock { get; } = new(Start);
    public Store Store { get; }
    public JobStore Jobs { get; }
    public DatabaseStore Databases { get; }
    public DomainStore Domains { get; }

    /// <summary>Overrides a rule's settings, as `slipway alerts set` or slipway.json would.</summary>
    public void Set(string rule, string? app, AlertRuleSettings settings) => _overrides[(rule, app)] = settings;

    public void Clear() => _overrides.Clear();

    public IReadOnlyList<AlertSignal> Evaluate(IAlertSource source, params CustomAlertRule[] custom) =>
        source.Evaluate(Context(Clock.GetUtcNow(), [source], _overrides, custom), CancellationToken.None).ToList();

    /// <summary>What the engine hands the sources: each rule's defaults, on, under the given overrides.</summary>
    public static AlertContext Context(DateTimeOffset now, IEnumerable<IAlertSource> sources,
        IReadOnlyDictionary<(string Rule, string? App), AlertRuleSettings>? overrides = null, IReadOnlyList<CustomAlertRule>? custom = null)
    {
        var definitions = sources.SelectMany(s => s.Rules).ToDictionary(r => r.Name);
        return new AlertContext(now, (rule, app) =>
        {
            var definition = definitions[rule]; // a source asks only about its own rules (custom ones are given whole)
            var defaults = definition.Defaults with { Enabled = true };
            return (overrides?.GetValueOrDefault((rule, app)) ?? new AlertRuleSettings()).Or(defaults);
        }, custom);
    }

    /// <summary>An app environment with a live deployment (a row, a deployment made live): its id.</summary>
    public string Live(AppRef app)
    {
        Store.EnsureApp(app);
        var d = Store.CreateDeployment(app.Key, DeploymentKind.Deploy, "/src", null, null);
        Store.MakeLive(app.Key, d.Id);
        return d.Id;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        TempDirs.Delete(Dir);
    }
}
