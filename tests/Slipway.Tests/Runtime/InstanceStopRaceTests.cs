using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Slipway.Manifests;
using Slipway.Runtime;
using Slipway.Tests.Support;

namespace Slipway.Tests.Runtime;

public sealed class InstanceStopRaceTests : IAsyncLifetime
{
    private readonly string _dir = TempDirs.Create("stoprace");
    private readonly HealthProbe _probe = new();
    private readonly GatedLauncher _launcher = new(new LocalProcessLauncher(TimeProvider.System, "test-owner"));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _launcher.Release();
        foreach (var process in _launcher.Started)
        {
            await process.StopAsync(TimeSpan.FromSeconds(1));
            await process.DisposeAsync();
        }
        _probe.Dispose();
        TempDirs.Delete(_dir);
    }

    [Fact]
    public async Task Stop_while_a_restart_is_being_launched_ends_the_new_process_too()
    {
        // Crashes once, then runs until stopped.
        var instance = StartInstance("if [ -f started ]; then exec sleep 100; fi; touch started; exit 1");
        await _launcher.SecondStartEntered.WaitAsync(TimeSpan.FromSeconds(10));

        var stop = instance.StopAsync();
        await Task.Delay(300); // StopAsync has stopped the crashed process and waits for the loop to end
        _launcher.Release();

        await stop.WaitAsync(TimeSpan.FromSeconds(10));
        instance.State.Should().Be(InstanceState.Stopped);
        _launcher.Started.SelectMany(p => ProcessTable.RunningInGroup(p.Pid)).Should().BeEmpty();
    }

    private Instance StartInstance(string command)
    {
        var service = new ServiceSpec { Name = "worker", Type = ServiceType.Worker, Start = command };
        var spec = new InstanceSpec("i-race", "shop", "d-1", service, 0, _dir,
            new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH")! }, TimeSpan.FromSeconds(2));
        var instance = new Instance(spec, 0, _launcher, _probe, new LogStore(Path.Combine(_dir, "logs")), TimeProvider.System,
            NullLogger.Instance, _ => { });
        instance.Start();
        return instance;
    }

    /// <summary>The real launcher, except that the second start waits until released: the moment a restart is
    /// being launched, held open so a test can act inside it.</summary>
    private sealed class GatedLauncher(IProcessLauncher inner) : IProcessLauncher
    {
        private readonly ManualResetEventSlim _gate = new();
        private readonly TaskCompletionSource _secondStartEntered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _starts;

        public ConcurrentBag<ILaunchedProcess> Started { get; } = [];
        public Task SecondStartEntered => _secondStartEntered.Task;

        public void Release() => _gate.Set();

        public ILaunchedProcess Start(LaunchSpec spec, Action<OutputLine> onLine)
        {
            if (Interlocked.Increment(ref _starts) == 2)
            {
                _secondStartEntered.SetResult();
                _gate.Wait(TimeSpan.FromSeconds(30));
            }
            var process = inner.Start(spec, onLine);
            Started.Add(process);
            return process;
        }

        public ILaunchedProcess? Adopt(Adoption adoption, Action<OutputLine> onLine) => inner.Adopt(adoption, onLine);

        public bool CanAdopt(Adoption adoption) => inner.CanAdopt(adoption);

        public Task<int> SweepAsync(IReadOnlySet<string> adopted, TimeSpan grace) => inner.SweepAsync(adopted, grace);
    }
}
