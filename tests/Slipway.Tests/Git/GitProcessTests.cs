using System.Diagnostics;
using Slipway.Git;

namespace Slipway.Tests.Git;

public sealed class GitProcessTests
{
    [Fact]
    public void Children_are_found_from_proc_children_and_from_each_process_parent_alike()
    {
        using var shell = Process.Start(new ProcessStartInfo("sh", ["-c", "sleep 30 & sleep 30 & wait"]) { UseShellExecute = false })!;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (GitProcess.ChildrenByParent(shell.Id).Count < 2 && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
            var byParent = GitProcess.ChildrenByParent(shell.Id);
            byParent.Should().HaveCount(2, "the shell started two sleeps");
            GitProcess.ChildrenOf(shell.Id).Should().BeEquivalentTo(byParent);
        }
        finally
        {
            shell.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Stop_returns_once_a_process_that_ignores_sigterm_and_its_children_are_gone()
    {
        // Like a hook that ignores SIGTERM: the SIGKILL after the grace ends it, and Stop waits for that.
        using var stubborn = Process.Start(new ProcessStartInfo("sh", ["-c", "trap '' TERM; sleep 60 & wait"]) { UseShellExecute = false })!;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (GitProcess.ChildrenOf(stubborn.Id).Count < 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        var child = GitProcess.ChildrenOf(stubborn.Id).Single();

        var started = Stopwatch.StartNew();
        await GitProcess.StopAsync(stubborn);

        started.Elapsed.Should().BeGreaterThan(GitProcess.Grace - TimeSpan.FromMilliseconds(100), "it ignored SIGTERM, so it lived to the grace");
        stubborn.WaitForExit(1000).Should().BeTrue("killed, not left running");
        Gone(child).Should().BeTrue("its child went too (it inherited the ignored SIGTERM, so the SIGKILL ended it)");
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
