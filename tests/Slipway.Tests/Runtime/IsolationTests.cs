using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Slipway.Manifests;
using Slipway.Runtime;
using Slipway.Sandbox;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Runtime;

/// <summary>Isolation is data on the launch spec: what the supervisor is given reaches the launcher unchanged,
/// and the local launcher applies what it can (the user) and refuses what it cannot (limits, mounts).</summary>
public sealed class IsolationTests : IAsyncDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    private static readonly Isolation Confined = new()
    {
        RunAs = new ProcessUser("nobody", 65534, 65534),
        Limits = new ResourceLimits(MemoryBytes: 256L << 20, MaxPids: 64, CpuWeight: 50),
        Group = "shop/i-1",
        View = new SandboxView { Hidden = ["/data"], Mounts = [new BindMount("/data/builds/shop/b_1", "/app"), new BindMount("/data/tmp/shop", "/tmp", ReadOnly: false)] },
    };

    private readonly string _dir = TempDirs.Create("isolation");

    [Fact]
    public async Task An_instances_isolation_reaches_the_launcher_unchanged()
    {
        var launcher = new RecordingLauncher();
        using var probe = new HealthProbe();
        var store = new Store(Path.Combine(_dir, "slipway.db"), TimeProvider.System);
        var supervisor = new Supervisor(launcher, probe, new LogStore(Path.Combine(_dir, "logs")), store, new PortAllocator(),
            new Slipway.Config.SecretRedactor(), TimeProvider.System, NullLogger<Supervisor>.Instance);
        var service = new ServiceSpec { Name = "jobs", Type = ServiceType.Worker, Start = "node worker.js" };
        var spec = new InstanceSpec(Ids.New("i"), "shop", "d-1", service, 1, _dir, new Dictionary<string, string> { ["A"] = "1" }, TimeSpan.FromSeconds(1))
        {
            Isolation = Confined,
        };

        supervisor.Start(spec);
        var launched = await launcher.Launched.Reader.ReadAsync().AsTask().WaitAsync(Limit);
        await supervisor.StopEverythingAsync().WaitAsync(Limit);

        launched.Isolation.Should().Be(Confined);
        launched.Isolation.Should().NotBeSameAs(Isolation.None);
        launched.Command.Should().Be("node worker.js");
        launched.WorkingDirectory.Should().Be(_dir);
    }

    [Fact]
    public async Task The_local_launcher_runs_the_process_as_the_given_user()
    {
        var lines = new ConcurrentQueue<OutputLine>();
        var launcher = new LocalProcessLauncher(TimeProvider.System, "test-owner");
        var spec = new LaunchSpec("echo $(id -u):$(id -g)", "/", new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" })
        {
            Isolation = new Isolation { RunAs = new ProcessUser("nobody", 65534, 65534) },
        };

        await using var process = launcher.Start(spec, lines.Enqueue);
        (await process.Exited.WaitAsync(Limit)).Should().Be(0);

        lines.Select(l => l.Text).Should().Equal("65534:65534");
    }

    [Fact]
    public async Task A_program_with_arguments_runs_without_a_shell()
    {
        var lines = new ConcurrentQueue<OutputLine>();
        var launcher = new LocalProcessLauncher(TimeProvider.System, "test-owner");

        await using var process = launcher.Start(LaunchSpec.Exec("printf", ["%s|", "a b", "$HOME", "*"], _dir,
            new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["HOME"] = "/root" }), lines.Enqueue);
        (await process.Exited.WaitAsync(Limit)).Should().Be(0);

        lines.Select(l => l.Text).Should().Equal("a b|$HOME|*|");
    }

    [Theory]
    [InlineData("limits")]
    [InlineData("mounts")]
    public void The_local_launcher_refuses_what_it_cannot_apply_instead_of_running_unconfined(string what)
    {
        var isolation = what == "limits"
            ? new Isolation { Limits = new ResourceLimits(MaxPids: 10), Group = "shop/i-1" }
            : new Isolation { View = new SandboxView { Mounts = [new BindMount("/a", "/b")] } };
        var launcher = new LocalProcessLauncher(TimeProvider.System, "test-owner");

        var start = () => launcher.Start(new LaunchSpec("true", _dir, new Dictionary<string, string>()) { Isolation = isolation }, _ => { });

        start.Should().Throw<NotSupportedException>().WithMessage("*must not run unconfined*");
    }

    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempDirs.Delete(_dir);
        return ValueTask.CompletedTask;
    }

    /// <summary>Records every spec and hands back a process that runs until it is stopped.</summary>
    private sealed class RecordingLauncher : IProcessLauncher
    {
        public System.Threading.Channels.Channel<LaunchSpec> Launched { get; } = System.Threading.Channels.Channel.CreateUnbounded<LaunchSpec>();

        public ILaunchedProcess Start(LaunchSpec spec, Action<OutputLine> onLine)
        {
            Launched.Writer.TryWrite(spec);
            return new Running();
        }

        public ILaunchedProcess? Adopt(Adoption adoption, Action<OutputLine> onLine) => null;

        public bool CanAdopt(Adoption adoption) => false;

        public Task<int> SweepAsync(IReadOnlySet<string> adopted, TimeSpan grace) => Task.FromResult(0);

        private sealed class Running : ILaunchedProcess
        {
            private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public int Pid => Environment.ProcessId;
            public string? StartIdentity => null;
            public string? LaunchKey => null;

            public Task DetachAsync()
            {
                _exited.TrySetResult(ExitCodes.Detached);
                return Task.CompletedTask;
            }
            public Task<int> Exited => _exited.Task;

            public ResourceUsage? Usage() => null;

            public Task StopAsync(TimeSpan grace)
            {
                _exited.TrySetResult(-15);
                return Task.CompletedTask;
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
