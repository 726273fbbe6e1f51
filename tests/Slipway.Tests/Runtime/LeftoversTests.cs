using Slipway.Runtime;
using Slipway.Tests.Support;

namespace Slipway.Tests.Runtime;

public sealed class LeftoversTests
{
    [Fact]
    public async Task The_sweep_kills_every_process_group_with_this_owners_mark_and_nothing_else()
    {
        var mine = "owner-" + Guid.NewGuid().ToString("N");
        var other = "owner-" + Guid.NewGuid().ToString("N");
        var ours = new LocalProcessLauncher(TimeProvider.System, mine)
            .Start(new LaunchSpec("sleep 100 & sleep 100", "/tmp", new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" }), _ => { });
        var theirs = new LocalProcessLauncher(TimeProvider.System, other)
            .Start(new LaunchSpec("sleep 100", "/tmp", new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" }), _ => { });
        try
        {
            await Task.Delay(200);
            var killed = await Leftovers.KillAsync(mine, TimeSpan.FromSeconds(2));

            killed.Should().Be(1);
            await ours.Exited.WaitAsync(TimeSpan.FromSeconds(5));
            ProcessTable.RunningInGroup(ours.Pid).Should().BeEmpty("the background child of the marked group goes too");
            ProcessTable.IsRunning(theirs.Pid).Should().BeTrue("another owner's process is not ours to kill");
        }
        finally
        {
            await ours.DisposeAsync();
            await theirs.DisposeAsync();
        }
    }
}
