using System.Text.Json.Nodes;
using Slipway.Tests.Support;

namespace Slipway.Tests.Runtime;

/// <summary>A process of an app that leaves its process group (setsid) and empties its environment (the owner mark goes
/// with it) cannot leave its cgroup: a stop still ends it.</summary>
[Collection("platform")]
public sealed class EscapedProcessTests
{
    [SandboxFact]
    public async Task A_child_that_runs_setsid_with_an_empty_environment_is_stopped_with_its_instance()
    {
        await using var platform = await TestPlatform.StartAsync();
        var dir = TempDirs.Create("escape-app");
        // A command line no other run on the machine has: the process table is the whole machine's.
        var escapee = $"sleep 31337.{Random.Shared.Next(100000, 999999)}";
        var manifest = new JsonObject
        {
            ["services"] = new JsonObject
            {
                ["worker"] = new JsonObject { ["type"] = "worker", ["start"] = $"setsid sh -c 'exec env -i {escapee}' & exec sleep 1000" },
            },
        };
        await File.WriteAllTextAsync(Path.Combine(dir, "slipway.json"), manifest.ToJsonString());
        try
        {
            (await platform.DeployAsync(dir, "escape")).ExitCode.Should().Be(0);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!ProcessTable.AnyRunning(escapee) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
            ProcessTable.AnyRunning(escapee).Should().BeTrue("the worker started its escaping child");

            (await platform.CliAsync("stop", "--app", "escape")).ExitCode.Should().Be(0);
            (await ProcessTable.GoneAsync(escapee)).Should().BeTrue("its cgroup holds it: the stop kills every process of the instance");
        }
        finally
        {
            TempDirs.Delete(dir);
        }
    }
}
