using System.Diagnostics;
using Slipway.Git;
using Slipway.Tests.Support;

namespace Slipway.Tests.Git;

public sealed class GitProcessTests
{
    [Fact]
    public async Task Stop_returns_once_a_process_that_ignores_sigterm_and_its_children_are_gone()
    {
        // Like a hook that ignores SIGTERM: the SIGKILL after the grace ends it, and Stop waits for that. git itself runs
        // it (a shell alias), started as every git is: leading its own process group.
        using var stubborn = GitProcess.Start(TempDirs.Create("git-stop"), [], input: false, "-c", "alias.stubborn=!trap '' TERM; sleep 60 & echo $!; wait", "stubborn");
        var child = int.Parse((await stubborn.StandardOutput.ReadLineAsync())!);
        GroupOf(stubborn.Id).Should().Be(stubborn.Id, "git leads its own group");
        GroupOf(child).Should().Be(stubborn.Id);

        var started = Stopwatch.StartNew();
        await GitProcess.StopAsync(stubborn);

        started.Elapsed.Should().BeGreaterThan(GitProcess.Grace - TimeSpan.FromMilliseconds(100), "it ignored SIGTERM, so it lived to the grace");
        stubborn.WaitForExit(1000).Should().BeTrue("killed, not left running");
        Gone(child).Should().BeTrue("its child went too (it inherited the ignored SIGTERM, so the SIGKILL ended it)");
    }

    [Fact]
    public async Task Stop_after_git_has_exited_still_ends_and_waits_for_what_it_left_running()
    {
        // A cancelled push: http-backend dies of the first SIGTERM and is reaped, while receive-pack and the hook it
        // started (here a child that takes a second to stop) still run. The cleanup's stop must wait for them.
        using var leader = Group("sh -c 'trap \"sleep 1; exit 0\" TERM; echo ready; while :; do sleep 0.1; done' & echo $!; exit 0");
        var lines = new[] { await leader.StandardOutput.ReadLineAsync(), await leader.StandardOutput.ReadLineAsync() };
        var child = int.Parse(lines.Single(l => l != "ready")!);
        await leader.WaitForExitAsync();
        Gone(child).Should().BeFalse("the child outlives the group's leader");

        var started = Stopwatch.StartNew();
        await GitProcess.StopAsync(leader);

        Gone(child).Should().BeTrue("the stop waited for the child left behind");
        started.Elapsed.Should().BeGreaterThan(TimeSpan.FromMilliseconds(800), "the child took a second to stop after its SIGTERM");
    }

    private static Process Group(string script) =>
        Process.Start(new ProcessStartInfo("setsid", ["sh", "-c", script]) { UseShellExecute = false, RedirectStandardOutput = true })!;

    private static int GroupOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[2]);
    }

    /// <summary>No such process, or only its zombie, which init reaps once its parent is gone.</summary>
    private static bool Gone(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }
}
