using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Slipway.Deploy;
using Slipway.Manifests;
using Slipway.Monitoring.Alerts;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Monitoring.Alerts;

/// <summary>The engine over a real store: what it tells the notifier as conditions come, stay, flap and go. The source
/// here is the test's (the conditions are the input); the engine, its rules and its rows are the real ones.</summary>
public sealed class AlertEngineTests : IDisposable
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
    private readonly string _dir = TempDirs.Create("alerts");
    private readonly Store _store;
    private readonly AlertStore _alerts;
    private readonly ConditionSource _source = new();
    private readonly RecordingNotifier _notifier = new();
    private readonly AlertsOptions _options = new() { ResolveAfter = TimeSpan.FromMinutes(1) };

    public AlertEngineTests()
    {
        _store = new Store(Path.Combine(_dir, "slipway.db"), _clock, [], [new AlertRows()]);
        _alerts = new AlertStore(_store);
        _store.EnsureApp(AppRef.Of("shop"));
    }

    private AlertEngine Engine() => new([_source], new AlertRules([_source], _alerts, _store), _alerts, _notifier, _options, _clock,
        NullLogger<AlertEngine>.Instance);

    private async Task RoundAsync(AlertEngine engine, TimeSpan? after = null)
    {
        _clock.Advance(after ?? TimeSpan.FromSeconds(15));
        await engine.EvaluateAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_condition_fires_once_while_it_lasts_and_resolves_once_after_the_hold_down()
    {
        using var engine = Engine();
        _source.Hold("shop", "web");
        await RoundAsync(engine);
        await RoundAsync(engine);
        await RoundAsync(engine);
        _notifier.Kinds.Should().Equal(NoticeKind.Firing);
        var firing = _notifier.Notices.Single();
        firing.Rule.Should().Be("flaky");
        firing.App.Should().Be("shop");
        firing.Severity.Should().Be(AlertSeverity.Critical);

        _source.Clear();
        await RoundAsync(engine);
        await RoundAsync(engine, TimeSpan.FromSeconds(30));
        _notifier.Kinds.Should().Equal([NoticeKind.Firing], "gone for 30 s of the 1 min hold-down");
        await RoundAsync(engine, TimeSpan.FromSeconds(40));
        _notifier.Kinds.Should().Equal(NoticeKind.Firing, NoticeKind.Resolved);
        var resolved = _notifier.Notices[1];
        resolved.AlertId.Should().Be(firing.AlertId);
        resolved.ResolvedAt.Should().NotBeNull();
        _alerts.Firing().Should().BeEmpty();

        await RoundAsync(engine);
        _notifier.Notices.Should().HaveCount(2, "a resolved alert is told once");
    }

    [Fact]
    public async Task A_condition_that_flaps_within_the_hold_down_stays_one_alert()
    {
        using var engine = Engine();
        for (var i = 0; i < 20; i++)
        {
            if (i % 2 == 0)
                _source.Hold("shop", "web");
            else
                _source.Clear();
            await RoundAsync(engine);
        }
        _notifier.Kinds.Should().Equal(NoticeKind.Firing);
        _alerts.Firing().Should().ContainSingle();
    }

    [Fact]
    public async Task A_restarted_engine_neither_repeats_a_notice_nor_forgets_an_open_alert()
    {
        _source.Hold("shop", "web");
        using (var engine = Engine())
        {
            await RoundAsync(engine);
        }
        using (var again = Engine())
        {
            await RoundAsync(again);
            _notifier.Kinds.Should().Equal(NoticeKind.Firing);
            _source.Clear();
            await RoundAsync(again, TimeSpan.FromMinutes(2));
        }
        _notifier.Kinds.Should().Equal(NoticeKind.Firing, NoticeKind.Resolved);
    }

    [Fact]
    public async Task A_source_that_throws_keeps_its_alerts_open_and_others_go_on()
    {
        using var engine = Engine();
        _source.Hold("shop", "web");
        await RoundAsync(engine);
        _source.Throws = true;
        await RoundAsync(engine, TimeSpan.FromMinutes(5));
        _notifier.Kinds.Should().Equal([NoticeKind.Firing], "a failed round says nothing about the condition");
        _source.Throws = false;
        _source.Clear();
        await RoundAsync(engine, TimeSpan.FromMinutes(2));
        _notifier.Kinds.Should().Equal(NoticeKind.Firing, NoticeKind.Resolved);
    }

    [Fact]
    public async Task A_rule_turned_off_resolves_its_alert_and_raises_no_new_one()
    {
        using var engine = Engine();
        _source.Hold("shop", "web");
        await RoundAsync(engine);
        var config = new AlertConfig(new AlertRules([_source], _alerts, _store), _alerts, _store, _clock);
        config.Set(AppRef.Of("shop"), "flaky", new AlertRuleBody(Enabled: false));
        await RoundAsync(engine, TimeSpan.FromMinutes(2));
        _notifier.Kinds.Should().Equal(NoticeKind.Firing, NoticeKind.Resolved);
        _source.Hold("shop", "api");
        await RoundAsync(engine);
        _notifier.Notices.Should().HaveCount(2);
    }

    [Fact]
    public void Settings_come_from_defaults_then_platform_then_the_live_manifest_then_the_app_from_the_cli()
    {
        var rules = new AlertRules([_source], _alerts, _store);
        var config = new AlertConfig(rules, _alerts, _store, _clock);
        rules.Read().Resolve("flaky", "shop").Should().Be((_source.Rules[0].Defaults with { Enabled = true, Channels = [] }, "default"));

        config.Set(null, "flaky", new AlertRuleBody(Over: "7%", Channels: ["ops"]));
        rules.Read().Resolve("flaky", "shop").Settings.Should().Match<AlertRuleSettings>(s => s.Over == 7 && s.For == TimeSpan.FromMinutes(5));

        var spec = new AppSpec { Services = [], Alerts = [new AlertRuleSpec { Name = "flaky", Over = 9, For = TimeSpan.FromMinutes(10) }] };
        var deployment = _store.CreateDeployment("shop", DeploymentKind.Deploy, "dir", null, null, JsonSerializer.Serialize(spec, Release.Json));
        _store.MakeLive("shop", deployment.Id);
        var (settings, setBy) = rules.Read().Resolve("flaky", "shop");
        (settings.Over, settings.For, setBy).Should().Be((9, TimeSpan.FromMinutes(10), "manifest"));
        settings.Channels.Should().Equal("ops");

        config.Set(AppRef.Of("shop"), "flaky", new AlertRuleBody(Over: "12%"));
        (settings, setBy) = rules.Read().Resolve("flaky", "shop");
        (settings.Over, settings.For, setBy).Should().Be((12, TimeSpan.FromMinutes(10), "cli"));

        config.Reset(AppRef.Of("shop"), "flaky");
        rules.Read().Resolve("flaky", "shop").Settings.Over.Should().Be(9);
        rules.Read().Resolve("flaky", null).Settings.Over.Should().Be(7, "the platform-wide setting ignores an app's manifest");
    }

    [Fact]
    public void Bad_settings_are_refused_with_every_flag_named_and_nothing_saved()
    {
        var config = new AlertConfig(new AlertRules([_source], _alerts, _store), _alerts, _store, _clock);
        var act = () => config.Set(AppRef.Of("shop"), "flaky", new AlertRuleBody(Over: "lots", For: "soon", Severity: "panic"));
        act.Should().Throw<UserException>().Which.Message.Should().ContainAll("--over: expected a percentage", "--for: expected a duration", "--severity: expected warning or critical");
        _alerts.Settings().Should().BeEmpty();

        var unknown = () => config.Set(null, "flakey", new AlertRuleBody(Over: "5%"));
        unknown.Should().Throw<UserException>().Which.Message.Should().Contain("did you mean flaky?");

        var custom = () => config.Add(AppRef.Of("shop"), new AlertRuleBody("slow", Metric: "p42", Over: "1s"));
        custom.Should().Throw<UserException>().Which.Message.Should().Contain("--metric: expected one of error-rate, p50, p95, p99, rpm");
    }

    [Fact]
    public async Task A_custom_rule_reaches_the_sources_with_its_own_severity_and_channels()
    {
        _store.MakeLive("shop", _store.CreateDeployment("shop", DeploymentKind.Deploy, "dir", null, null, JsonSerializer.Serialize(new AppSpec { Services = [] }, Release.Json)).Id);
        var config = new AlertConfig(new AlertRules([_source], _alerts, _store), _alerts, _store, _clock);
        config.Add(AppRef.Of("shop"), new AlertRuleBody("slow-checkout", Metric: "p95", Over: "800ms", Route: "/checkout", Severity: "critical", Channels: ["pager"]));
        using var engine = Engine();
        await RoundAsync(engine);
        var rule = _source.LastCustom.Should().ContainSingle().Subject;
        (rule.Name, rule.App, rule.Metric, rule.Over, rule.Route).Should().Be(("slow-checkout", "shop", TrafficMetric.P95, 0.8, "/checkout"));
        _notifier.Notices.Should().ContainSingle(n => n.Rule == "slow-checkout").Which.Channels.Should().Equal("pager");
    }

    [Fact]
    public async Task A_custom_rule_from_the_cli_or_the_manifest_is_turned_off_and_on_again_from_the_cli()
    {
        var spec = new AppSpec { Services = [], Alerts = [new AlertRuleSpec { Name = "quiet", Metric = "rpm", Under = 1 }] };
        _store.MakeLive("shop", _store.CreateDeployment("shop", DeploymentKind.Deploy, "dir", null, null, JsonSerializer.Serialize(spec, Release.Json)).Id);
        var config = new AlertConfig(new AlertRules([_source], _alerts, _store), _alerts, _store, _clock);
        config.Add(AppRef.Of("shop"), new AlertRuleBody("slow", Metric: "p95", Over: "1s"));
        using var engine = Engine();
        await RoundAsync(engine);
        _source.LastCustom.Select(r => r.Name).Should().BeEquivalentTo("slow", "quiet");

        config.Set(AppRef.Of("shop"), "slow", new AlertRuleBody(Enabled: false));
        var view = config.Set(AppRef.Of("shop"), "quiet", new AlertRuleBody(Enabled: false));
        view.Rules.Where(r => r.Custom).Should().OnlyContain(r => !r.Enabled);
        await RoundAsync(engine, TimeSpan.FromMinutes(2));
        _source.LastCustom.Should().BeEmpty();
        _notifier.Notices.Where(n => n.Kind == NoticeKind.Resolved).Select(n => n.Rule).Should().BeEquivalentTo("slow", "quiet");

        config.Reset(AppRef.Of("shop"), "quiet");
        config.Set(AppRef.Of("shop"), "slow", new AlertRuleBody(Enabled: true));
        await RoundAsync(engine);
        _source.LastCustom.Select(r => r.Name).Should().BeEquivalentTo("slow", "quiet");
        var tweak = () => config.Set(AppRef.Of("shop"), "slow", new AlertRuleBody(Over: "2s"));
        tweak.Should().Throw<UserException>().Which.Message.Should().Contain("is a custom rule");
    }

    [Fact]
    public async Task A_destroyed_environment_forgets_its_settings_and_its_firing_alert_ends_with_a_resolved_notice()
    {
        using var engine = Engine();
        new AlertConfig(new AlertRules([_source], _alerts, _store), _alerts, _store, _clock).Set(AppRef.Of("shop"), "flaky", new AlertRuleBody(Over: "9%"));
        _source.Hold("shop", "web");
        await RoundAsync(engine);
        _store.DeleteApp("shop");
        _source.Clear();
        _alerts.Settings().Should().BeEmpty();
        await RoundAsync(engine, TimeSpan.FromMinutes(2));
        _notifier.Kinds.Should().Equal(NoticeKind.Firing, NoticeKind.Resolved);
    }

    [Fact]
    public void Windows_that_would_scan_long_history_every_round_are_refused()
    {
        var config = new AlertConfig(new AlertRules([_source], _alerts, _store), _alerts, _store, _clock);
        var act = () => config.Add(AppRef.Of("shop"), new AlertRuleBody("slow", Metric: "p95", Over: "1s", For: "30d"));
        act.Should().Throw<UserException>().Which.Message.Should().Contain("--for: expected a duration like 5m (at most 1 hour for slow)");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempDirs.Delete(_dir);
    }

    /// <summary>Conditions the test sets: rule "flaky" for each held (app, subject), and one signal per custom rule given.</summary>
    private sealed class ConditionSource : IAlertSource
    {
        private readonly ConcurrentDictionary<(string App, string Subject), bool> _held = new();

        public bool Throws { get; set; }

        public IReadOnlyList<CustomAlertRule> LastCustom { get; private set; } = [];

        public IReadOnlyList<AlertRuleDefinition> Rules { get; } =
        [
            new("flaky", "a test condition", new AlertRuleSettings(Over: 5, For: TimeSpan.FromMinutes(5), Severity: AlertSeverity.Critical), ThresholdUnit.Percent),
        ];

        public void Hold(string app, string subject) => _held[(app, subject)] = true;

        public void Clear() => _held.Clear();

        public IEnumerable<AlertSignal> Evaluate(AlertContext context, CancellationToken cancellationToken)
        {
            if (Throws)
                throw new InvalidOperationException("the source broke");
            LastCustom = context.CustomRules;
            var signals = _held.Keys.Where(k => context.IsOn("flaky", k.App))
                .Select(k => new AlertSignal("flaky", k.Subject, k.App, AlertSeverity.Critical, $"{k.App}: {k.Subject} is flaky", "detail")).ToList();
            signals.AddRange(context.CustomRules.Select(r => new AlertSignal(r.Name, "custom", r.App, r.Severity, $"{r.App}: {r.Name}", "over")));
            return signals;
        }
    }

    private sealed class RecordingNotifier : IAlertNotifier
    {
        public List<AlertNotice> Notices { get; } = [];

        public IReadOnlyList<NoticeKind> Kinds => Notices.Select(n => n.Kind).ToList();

        public void Notify(AlertNotice notice) => Notices.Add(notice);
    }
}
