using System.Diagnostics;
using Slipway.Sandbox;
using Slipway.Tests.Support;

namespace Slipway.Tests.Sandbox;

/// <summary>Real cgroups (this machine's v1 trees): a process tree is found and killed by its group, whatever it did to
/// leave its process group and environment. Each test has a root of its own (slipway/OWNER) and removes it.</summary>
public sealed class CgroupsTests : IAsyncLifetime
{
    private readonly Cgroups _cgroups = new(CgroupLayout.Detect()!, "t" + Guid.NewGuid().ToString("N")[..11]);
    private readonly List<Process> _started = [];

    [SandboxFact]
    public async Task A_child_that_leaves_its_process_group_and_environment_is_found_named_and_killed_by_its_cgroup()
    {
        var (group, procs) = Create(_cgroups, "shop/i-1.k1", ResourceLimits.None);
        // The escaping child ignores SIGTERM too (an ignored signal stays ignored across exec), so only SIGKILL ends it.
        var leader = Start(procs, "setsid sh -c 'trap \"\" TERM; exec env -i sleep 300' & exec sleep 300");
        var escaped = await EscapedAsync(group, leader.Id);

        _cgroups.Processes(group).Should().Equal(new[] { leader.Id, escaped }.Order());
        SessionOf(escaped).Should().NotBe(SessionOf(leader.Id), "the child left its session and process group");
        File.ReadAllText($"/proc/{escaped}/environ").Should().BeEmpty("the child dropped its environment");
        _cgroups.GroupOf(escaped).Should().Be(group);
        _cgroups.GroupOf(leader.Id).Should().Be(group);
        _cgroups.GroupOf(Environment.ProcessId).Should().BeNull();
        _cgroups.Groups().Should().Equal(group);

        var watch = Stopwatch.StartNew();
        (await _cgroups.KillAsync(group, TimeSpan.FromMilliseconds(200))).Should().Be(2);
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(3));

        _cgroups.Processes(group).Should().BeEmpty();
        (await GoneAsync(escaped)).Should().BeTrue("the escaped child was killed");
        (await GoneAsync(leader.Id)).Should().BeTrue();
        await _cgroups.RemoveAsync(group);
        _cgroups.Layout.Directories(_cgroups.PathOf(group)).Should().OnlyContain(dir => !Directory.Exists(dir));
    }

    [SandboxTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_tree_that_keeps_forking_and_ignores_SIGTERM_is_emptied_with_or_without_the_freezer(bool freezer)
    {
        var cgroups = freezer
            ? _cgroups
            : new Cgroups(_cgroups.Layout with { Mounts = _cgroups.Layout.Mounts.Where(m => m.Key != "freezer").ToDictionary() }, OwnerOf(_cgroups));
        var (group, procs) = Create(cgroups, "shop/build.k2", new ResourceLimits(MaxPids: 1000));
        Start(procs, "trap '' TERM; while :; do sleep 30 & sleep 0.01; done");
        await WaitForAsync(() => cgroups.Processes(group).Count >= 10);

        (await cgroups.KillAsync(group, TimeSpan.FromMilliseconds(100))).Should().BeGreaterThanOrEqualTo(10);

        cgroups.Processes(group).Should().BeEmpty();
        await cgroups.RemoveAsync(group);
        cgroups.Layout.Directories(cgroups.PathOf(group)).Should().OnlyContain(dir => !Directory.Exists(dir));
    }

    [SandboxFact]
    public async Task A_group_that_holds_a_living_tree_is_never_joined_by_another_launch()
    {
        var (group, procs) = Create(_cgroups, "shop/i-1.k3", ResourceLimits.None);
        var leader = Start(procs, "exec sleep 300");
        await WaitForAsync(() => _cgroups.Processes(group).Contains(leader.Id));

        // A successor platform (same owner) must not put a new tree in a living group.
        var successor = new Cgroups(_cgroups.Layout, OwnerOf(_cgroups));
        FluentActions.Invoking(() => successor.Create(group, ResourceLimits.None)).Should().Throw<IOException>().WithMessage("*already holds processes*");
        _cgroups.Groups().Should().Equal(group);
        _cgroups.Processes("shop/none.k4").Should().BeEmpty();
        (await _cgroups.KillAsync("shop/none.k4", TimeSpan.Zero)).Should().Be(0);
        (await _cgroups.KillAsync(group, TimeSpan.FromSeconds(2))).Should().Be(1);
    }

    private static (string Group, IReadOnlyList<string> ProcsFiles) Create(Cgroups cgroups, string group, ResourceLimits limits) =>
        (group, cgroups.Create(group, limits));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var group in _cgroups.Groups())
        {
            await _cgroups.KillAsync(group, TimeSpan.Zero);
        }
        foreach (var process in _started)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            process.Dispose();
        }
        foreach (var root in _cgroups.Layout.Directories(_cgroups.Root).Where(Directory.Exists))
        {
            foreach (var dir in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).Append(root))
            {
                for (var attempt = 0; attempt < 20 && Directory.Exists(dir); attempt++)
                {
                    try
                    {
                        Directory.Delete(dir);
                    }
                    catch (IOException)
                    {
                        await Task.Delay(50);
                    }
                }
            }
        }
    }

    // Joins the group the way ConfinedCommand does, then runs the script.
    private Process Start(IReadOnlyList<string> procs, string script)
    {
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var argument in (string[])["-c", ConfinedCommand.JoinScript, "slipway-join", .. procs, "--", "/bin/sh", "-c", script])
        {
            psi.ArgumentList.Add(argument);
        }
        var process = Process.Start(psi)!;
        _started.Add(process);
        return process;
    }

    // The group's member other than the leader, once it has become sleep with an empty environment.
    private async Task<int> EscapedAsync(string group, int leader)
    {
        var escaped = 0;
        await WaitForAsync(() =>
        {
            escaped = _cgroups.Processes(group).FirstOrDefault(pid => pid != leader && Command(pid) == "sleep\0300\0" && Command(leader) == "sleep\0300\0");
            return escaped != 0;
        });
        return escaped;
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = Environment.TickCount64 + 3000;
        while (!condition())
        {
            Environment.TickCount64.Should().BeLessThan(deadline, "the process tree should have started");
            await Task.Delay(20);
        }
    }

    // Gone from /proc, or a zombie waiting for a parent that does not reap (pid 1 of a container).
    private static async Task<bool> GoneAsync(int pid)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var stat = Read($"/proc/{pid}/stat");
            if (stat is null || stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z'))
            {
                return true;
            }
            await Task.Delay(20);
        }
        return false;
    }

    private static string? Command(int pid) => Read($"/proc/{pid}/cmdline");

    private static string? SessionOf(int pid) => Read($"/proc/{pid}/stat") is { } stat ? stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[3] : null;

    private static string OwnerOf(Cgroups cgroups) => cgroups.Root["slipway/".Length..];

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
