using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Slipway.Manifests;
using Slipway.Runtime;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Runtime;

public sealed class InstanceTests : IAsyncLifetime
{
    private const string WebServer =
        """node -e 'console.log("up " + process.env.PORT + " " + process.env.SLIPWAY_INSTANCE_ID + " " + process.env.GREETING); require("http").createServer((q, s) => { s.statusCode = +(process.env.STATUS || 200); s.end("ok"); }).listen(+process.env.PORT, process.env.HOST)'""";

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);
    private readonly string _dir = TempDirs.Create("instance");
    private readonly HealthProbe _probe = new();
    private LogStore _logs = null!;
    private Store _store = null!;
    private Supervisor _supervisor = null!;

    public Task InitializeAsync()
    {
        _logs = new LogStore(Path.Combine(_dir, "logs"));
        _store = new Store(Path.Combine(_dir, "slipway.db"), TimeProvider.System);
        _supervisor = new Supervisor(new LocalProcessLauncher(TimeProvider.System, "test-owner"), _probe, _logs, _store, new PortAllocator(), new Slipway.Config.SecretRedactor(),
            TimeProvider.System, NullLogger<Supervisor>.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        var pids = _supervisor.ForApp("shop").Select(i => i.Pid).OfType<int>().ToList();
        await _supervisor.StopEverythingAsync();
        var leftovers = pids.SelectMany(ProcessTable.RunningInGroup).ToList();
        _probe.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempDirs.Delete(_dir);
        leftovers.Should().BeEmpty("every test leaves no process behind");
    }

    [Fact]
    public async Task A_web_instance_listening_on_its_port_becomes_healthy()
    {
        var instance = Start(WebServer);

        var outcome = await instance.FirstStart.WaitAsync(Limit);

        outcome.Should().Be(new StartOutcome(true, "GET / answered 200"));
        instance.State.Should().Be(InstanceState.Healthy);
        instance.Endpoint.Healthy.Should().BeTrue();
        var record = _store.ListActiveInstances().Should().ContainSingle().Subject;
        record.State.Should().Be("healthy");
        record.Pid.Should().Be(instance.Pid);
        record.Port.Should().Be(instance.Endpoint.Port);
    }

    [Fact]
    public async Task The_instance_gets_its_port_id_and_environment_and_its_output_goes_to_the_app_log()
    {
        var instance = Start(WebServer);
        await instance.FirstStart.WaitAsync(Limit);

        var line = _logs.Read(LogKeys.App("shop")).Should().ContainSingle(e => e.Kind == "out").Subject;

        line.Message.Should().Be($"up {instance.Endpoint.Port} {instance.Spec.Id} hello");
        line.Deployment.Should().Be("d-1");
        line.Service.Should().Be("web");
        line.Instance.Should().Be(instance.Spec.Id);
    }

    [Fact]
    public async Task An_instance_that_exits_at_once_reports_its_exit_code_as_the_first_start()
    {
        var instance = Start("echo boom >&2; exit 7", restart: RestartPolicy.Never);

        var outcome = await instance.FirstStart.WaitAsync(Limit);

        outcome.Healthy.Should().BeFalse();
        outcome.Detail.Should().Be("exited with code 7");
        await Eventually(() => instance.State == InstanceState.Crashed);
        instance.RecentLines().Should().Contain(["boom", "[slipway] process exited with code 7"]);
    }

    [Fact]
    public async Task An_instance_answering_500_never_counts_as_healthy()
    {
        var instance = Start(WebServer, environment: new() { ["STATUS"] = "500" });

        await Eventually(() => instance.LastProbeDetail == "GET / answered 500");

        instance.FirstStart.IsCompleted.Should().BeFalse();
        instance.Endpoint.Healthy.Should().BeFalse();
        instance.State.Should().Be(InstanceState.Starting);
    }

    [Fact]
    public async Task On_failure_restarts_a_crashed_instance_as_a_new_process()
    {
        var instance = Start(WebServer);
        await instance.FirstStart.WaitAsync(Limit);
        var firstPid = instance.Pid!.Value;

        ProcessGroups.Signal(firstPid, ProcessGroups.SigKill);

        await Eventually(() => instance.Restarts == 1 && instance.State == InstanceState.Healthy);
        instance.Pid.Should().NotBe(firstPid);
        instance.Endpoint.Healthy.Should().BeTrue();
        instance.RecentLines().Should().Contain("[slipway] process killed by signal 9");
        _store.ListActiveInstances().Single().Restarts.Should().Be(1);
    }

    [Fact]
    public async Task Restart_policy_never_leaves_a_crashed_instance_down()
    {
        var instance = Start(WebServer, restart: RestartPolicy.Never);
        await instance.FirstStart.WaitAsync(Limit);
        var pid = instance.Pid!.Value;

        ProcessGroups.Signal(pid, ProcessGroups.SigKill);

        await Eventually(() => instance.State == InstanceState.Crashed);
        await Task.Delay(300);
        instance.Restarts.Should().Be(0);
        instance.Pid.Should().Be(pid, "no new process was started");
        instance.Endpoint.Healthy.Should().BeFalse();
    }

    [Fact]
    public async Task A_clean_exit_is_not_restarted_under_on_failure()
    {
        var instance = Start("exit 0", restart: RestartPolicy.OnFailure);

        await Eventually(() => instance.State == InstanceState.Exited);
        await Task.Delay(300);

        instance.Restarts.Should().Be(0);
    }

    [Fact]
    public async Task Crashes_in_a_row_beyond_max_retries_leave_the_instance_crashed()
    {
        var instance = Start("echo starting; exit 1", restart: RestartPolicy.OnFailure, maxRetries: 2);

        await Eventually(() => instance.State == InstanceState.Crashed);

        instance.Restarts.Should().Be(2);
        instance.RecentLines().Count(l => l == "starting").Should().Be(3, "the first start and two restarts");
        instance.RecentLines().Should().Contain("[slipway] crashed 3 times in a row; not restarting (restart.maxRetries = 2)");
    }

    [Fact]
    public async Task A_worker_counts_as_started_once_it_stays_up()
    {
        var instance = Start("echo working; sleep 100", type: ServiceType.Worker);

        var outcome = await instance.FirstStart.WaitAsync(Limit);

        outcome.Should().Be(new StartOutcome(true, "running"));
        instance.Endpoint.Port.Should().Be(0);
        instance.State.Should().Be(InstanceState.Healthy);
    }

    [Fact]
    public async Task Stopping_an_instance_ends_its_process_group_and_records_it_stopped()
    {
        var instance = Start(WebServer);
        await instance.FirstStart.WaitAsync(Limit);
        var pid = instance.Pid!.Value;

        await _supervisor.StopAsync(instance);

        instance.State.Should().Be(InstanceState.Stopped);
        instance.Endpoint.Healthy.Should().BeFalse();
        ProcessTable.RunningInGroup(pid).Should().BeEmpty();
        _store.ListActiveInstances().Should().BeEmpty();
        _supervisor.ForApp("shop").Should().BeEmpty();
    }

    private Instance Start(string command, RestartPolicy restart = RestartPolicy.OnFailure, int maxRetries = 10,
        ServiceType type = ServiceType.Web, Dictionary<string, string>? environment = null)
    {
        var service = new ServiceSpec
        {
            Name = "web",
            Type = type,
            Start = command,
            Healthcheck = new HealthcheckSpec { Interval = TimeSpan.FromMilliseconds(50), Timeout = TimeSpan.FromSeconds(2) },
            Restart = new RestartSpec { Policy = restart, MaxRetries = maxRetries },
        };
        var env = new Dictionary<string, string>(environment ?? [])
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH")!,
            ["GREETING"] = "hello",
        };
        return _supervisor.Start(new InstanceSpec(Ids.New("i"), "shop", "d-1", service, 0, _dir, env, TimeSpan.FromSeconds(2)));
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
