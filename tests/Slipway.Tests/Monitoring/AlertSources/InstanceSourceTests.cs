using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Slipway.Manifests;
using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Sources;
using Slipway.Runtime;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Monitoring.AlertSources;

/// <summary>"crash-loop" from the supervisor's real instances (real processes that crash), "oom-kill" from the
/// instance.oom events.</summary>
public sealed class InstanceSourceTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);
    private readonly SourceHarness _h = new();
    private readonly HealthProbe _probe = new();
    private Supervisor _supervisor = null!;

    public Task InitializeAsync()
    {
        _supervisor = new Supervisor(new LocalProcessLauncher(TimeProvider.System, "test-owner"), _probe,
            new LogStore(Path.Combine(_h.Dir, "logs")), _h.Store, new PortAllocator(), new Slipway.Config.SecretRedactor(),
            _h.Clock, NullLogger<Supervisor>.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        var pids = _supervisor.All().Select(i => i.Pid).OfType<int>().ToList();
        await _supervisor.StopEverythingAsync();
        _probe.Dispose();
        _h.Dispose();
        pids.SelectMany(ProcessTable.RunningInGroup).Should().BeEmpty("every test leaves no process behind");
    }

    [Fact]
    public async Task A_service_that_keeps_restarting_or_crashed_for_good_fires_until_it_runs_steadily()
    {
        var live = _h.Live(AppRef.Of("shop"));
        // "jobs" crashes three times, then stays up; "web" crashes once and its policy never restarts it.
        var counter = Path.Combine(_h.Dir, "starts");
        var looping = Start(live, "jobs", $"n=$(cat {counter} 2>/dev/null || echo 0); echo $((n+1)) > {counter}; [ $n -ge 3 ] && exec sleep 60; exit 1",
            RestartPolicy.OnFailure);
        var crashed = Start(live, "web", "exit 3", RestartPolicy.Never);
        var old = Start("d-old", "web", "exit 3", RestartPolicy.Never); // not the live deployment: not this rule's business
        await Eventually(() => looping.Restarts == 3 && looping.State == InstanceState.Healthy
            && crashed.State == InstanceState.Crashed && old.State == InstanceState.Crashed);
        var source = new InstanceSource(_supervisor, _h.Store);

        var signals = _h.Evaluate(source);

        signals.Should().BeEquivalentTo(new[]
        {
            new AlertSignal("crash-loop", "jobs", "shop", AlertSeverity.Critical, "shop: jobs is crash-looping (replica 0 restarted 3 times in 10m)", ""),
            new AlertSignal("crash-loop", "web", "shop", AlertSeverity.Critical, "shop: web crashed (replica 0 crashed and is not restarted)", ""),
        }, o => o.Excluding(s => s.Detail));
        signals[0].Detail.Should().Contain($"live deployment {live}").And.Contain("slipway logs --app shop --service jobs");

        _h.Set("crash-loop", "shop", new AlertRuleSettings(Count: 4));
        _h.Evaluate(source).Select(s => s.Subject).Should().Equal(["web"], "3 restarts are under a count of 4");
        _h.Set("crash-loop", "shop", new AlertRuleSettings(Enabled: false));
        _h.Evaluate(source).Should().BeEmpty();
        _h.Clear();

        _h.Clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        _h.Evaluate(source).Select(s => s.Subject).Should().Equal(["web"], "jobs ran steadily for 10 minutes; web stays down");
        _h.Set("crash-loop", "shop", new AlertRuleSettings(For: TimeSpan.FromMinutes(30)));
        _h.Evaluate(source).Select(s => s.Subject).Should().Equal(["jobs", "web"], "within 30 minutes jobs did restart 3 times");
    }

    [Fact]
    public void An_oom_kill_fires_for_its_service_until_the_window_passed_without_another()
    {
        _h.Live(AppRef.Of("shop"));
        _h.Live(AppRef.Of("shop", "staging"));
        var source = new InstanceSource(_supervisor, _h.Store);
        _h.Store.AddEvent("shop", "d-1", "instance.oom", "worker replica 1 was killed by the kernel for running out of memory (limit 256 MB)");
        _h.Clock.Advance(TimeSpan.FromMinutes(11));
        _h.Store.AddEvent("shop", "d-1", "instance.crashed", "web replica 0 crashed and is not restarted");
        _h.Store.AddEvent("shop", "d-1", "instance.oom", "web replica 0 was killed by the kernel for running out of memory (limit 512 MB)");
        _h.Clock.Advance(TimeSpan.FromMinutes(1));
        _h.Store.AddEvent("shop", "d-1", "instance.oom", "web replica 1 was killed by the kernel for running out of memory (limit 512 MB)");

        var signal = _h.Evaluate(source).Should().ContainSingle("the worker's kill is older than 10 minutes").Subject;

        signal.Should().BeEquivalentTo(new
        {
            Rule = "oom-kill", Subject = "web", App = "shop", Severity = AlertSeverity.Warning,
            Title = "shop: web was killed for running out of memory (2 times in 10m)",
        });
        signal.Detail.Should().Contain("web replica 1 was killed");
        _h.Set("oom-kill", "shop", new AlertRuleSettings(For: TimeSpan.FromMinutes(30)));
        _h.Evaluate(source).Select(s => s.Subject).Should().Equal(["web", "worker"]);
        _h.Set("oom-kill", "shop", new AlertRuleSettings(Enabled: false));
        _h.Evaluate(source).Should().BeEmpty();
        _h.Clear();
        _h.Clock.Advance(TimeSpan.FromMinutes(9.5));
        _h.Evaluate(source).Should().ContainSingle().Which.Title.Should().Be("shop: web was killed for running out of memory");
        _h.Clock.Advance(TimeSpan.FromMinutes(1));
        _h.Evaluate(source).Should().BeEmpty();
    }

    private Instance Start(string deployment, string service, string command, RestartPolicy restart)
    {
        var spec = new ServiceSpec
        {
            Name = service,
            Type = ServiceType.Worker,
            Start = command,
            Restart = new RestartSpec { Policy = restart, MaxRetries = 10 },
        };
        var env = new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH")! };
        return _supervisor.Start(new InstanceSpec(Ids.New("i"), "shop", deployment, spec, 0, _h.Dir, env, TimeSpan.FromSeconds(2)));
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            watch.Elapsed.Should().BeLessThan(Limit, "the condition should hold in time");
            await Task.Delay(20);
        }
    }
}
