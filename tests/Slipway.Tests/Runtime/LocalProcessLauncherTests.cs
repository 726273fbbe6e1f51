using System.Collections.Concurrent;
using System.Diagnostics;
using Slipway.Runtime;
using Slipway.Tests.Support;

namespace Slipway.Tests.Runtime;

public sealed class LocalProcessLauncherTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);
    private readonly LocalProcessLauncher _launcher = new(TimeProvider.System, "test-owner");
    private readonly List<ILaunchedProcess> _started = [];
    private readonly string _dir = TempDirs.Create("launch");
    private readonly ConcurrentQueue<OutputLine> _lines = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var process in _started)
        {
            await process.DisposeAsync();
        }
        var leftovers = _started.SelectMany(p => ProcessTable.RunningInGroup(p.Pid)).ToList();
        TempDirs.Delete(_dir);
        leftovers.Should().BeEmpty("every test leaves no process behind");
    }

    [Fact]
    public async Task Output_lines_of_stdout_and_stderr_are_captured_in_order_before_exit_completes()
    {
        var process = Start("i=1; while [ $i -le 200 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done");

        (await process.Exited.WaitAsync(Limit)).Should().Be(0);

        Texts(OutputStream.Stdout).Should().Equal(Enumerable.Range(1, 200).Select(i => $"out{i}"));
        Texts(OutputStream.Stderr).Should().Equal(Enumerable.Range(1, 200).Select(i => $"err{i}"));
    }

    [Fact]
    public async Task Lines_written_apart_in_time_arrive_in_that_order_across_streams()
    {
        var process = Start("echo one; sleep 0.05; echo two >&2; sleep 0.05; echo three");

        await process.Exited.WaitAsync(Limit);

        _lines.Select(l => (l.Stream, l.Text)).Should().Equal(
            (OutputStream.Stdout, "one"), (OutputStream.Stderr, "two"), (OutputStream.Stdout, "three"));
        _lines.Select(l => l.At).Should().BeInAscendingOrder();
    }

    [Fact]
    public async Task The_environment_is_exactly_the_one_given()
    {
        var leaked = "SLIPWAY_LEAK_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(leaked, "from-the-platform");
        try
        {
            var process = Start("env", new() { ["PATH"] = "/usr/bin:/bin", ["GREETING"] = "hello" });
            await process.Exited.WaitAsync(Limit);
        }
        finally
        {
            Environment.SetEnvironmentVariable(leaked, null);
        }

        var names = Texts(OutputStream.Stdout).Select(line => line.Split('=', 2)[0]).ToList();
        names.Should().NotContain(leaked);
        // The shell itself may export its working directory and level; besides the platform's ownership mark
        // (how a restarted platform finds what its predecessor left running), nothing else may appear.
        names.Except(["PWD", "OLDPWD", "SHLVL", "_"]).Should().BeEquivalentTo("PATH", "GREETING", "SLIPWAY_OWNER");
        Texts(OutputStream.Stdout).Should().Contain("GREETING=hello");
    }

    [Fact]
    public async Task A_value_with_shell_syntax_newlines_and_unicode_arrives_unchanged()
    {
        const string value = " lead $HOME `id` $(id) \"dq\" 'sq' \\ back ; | & * ?\nsecond line ünïcødé 🚀 % %s trail ";
        var process = Start("printf '%s' \"$TRICKY\"", new() { ["PATH"] = "/usr/bin:/bin", ["TRICKY"] = value });

        await process.Exited.WaitAsync(Limit);

        string.Join("\n", Texts(OutputStream.Stdout)).Should().Be(value);
    }

    [Fact]
    public async Task The_command_runs_in_the_working_directory_with_stdin_at_end_of_input()
    {
        var process = Start("pwd; cat; echo after-cat");

        (await process.Exited.WaitAsync(Limit)).Should().Be(0);

        Texts(OutputStream.Stdout).Should().Equal(_dir, "after-cat");
    }

    [Fact]
    public async Task A_low_priority_command_runs_niced_with_idle_io()
    {
        var process = Start("nice; ionice", lowPriority: true);

        await process.Exited.WaitAsync(Limit);

        Texts(OutputStream.Stdout).Should().Equal("10", "idle");
    }

    [Fact]
    public async Task The_process_leads_its_own_process_group()
    {
        var process = Start("echo ready; sleep 100");
        await WaitForLineAsync("ready");

        var stat = File.ReadAllText($"/proc/{process.Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        fields[2].Should().Be(process.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "pgrp == pid");
        process.StartIdentity.Should().Be(ProcessGroups.ReadStartIdentity(process.Pid)).And.NotBeNull();
    }

    [Fact]
    public async Task Stop_kills_the_whole_tree_including_a_background_grandchild()
    {
        var process = Start("sleep 100 & echo $!; sleep 100");
        var grandchild = int.Parse(await WaitForLineAsync(), System.Globalization.CultureInfo.InvariantCulture);
        var watch = Stopwatch.StartNew();

        await process.StopAsync(TimeSpan.FromSeconds(10));

        // Well under the grace, with room for a loaded machine (4.3 s once against a 5 s grace while a publish ran).
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(6), "SIGTERM is enough, no need to wait out the grace");
        process.Exited.IsCompleted.Should().BeTrue();
        (await process.Exited).Should().Be(-ProcessGroups.SigTerm);
        ProcessTable.IsRunning(grandchild).Should().BeFalse("the background sleep is part of the group");
        ProcessTable.RunningInGroup(process.Pid).Should().BeEmpty();
        // Killed children may stay zombies until init reaps them, and kill(-pgid, 0) counts those too.
        (await ProcessGroups.WaitGoneAsync(process.Pid, TimeSpan.FromSeconds(5))).Should().BeTrue();
    }

    [Fact]
    public async Task A_process_that_ignores_sigterm_is_killed_after_the_grace()
    {
        var process = Start("trap '' TERM; echo ready; sleep 100");
        await WaitForLineAsync("ready");
        var watch = Stopwatch.StartNew();

        await process.StopAsync(TimeSpan.FromMilliseconds(500));

        watch.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(450));
        (await process.Exited.WaitAsync(Limit)).Should().Be(-ProcessGroups.SigKill);
        ProcessTable.RunningInGroup(process.Pid).Should().BeEmpty();
    }

    [Fact]
    public async Task When_the_leader_exits_what_is_left_of_its_group_is_killed()
    {
        var process = Start("sleep 100 & echo $!; exit 0");
        var grandchild = int.Parse(await WaitForLineAsync(), System.Globalization.CultureInfo.InvariantCulture);

        (await process.Exited.WaitAsync(Limit)).Should().Be(0);

        await Eventually(() => !ProcessTable.IsRunning(grandchild));
    }

    [Theory]
    [InlineData("exit 0", 0)]
    [InlineData("exit 3", 3)]
    [InlineData("true", 0)]
    [InlineData("false", 1)]
    [InlineData("kill -KILL $$", -9)]
    [InlineData("kill -TERM $$", -15)]
    [InlineData("kill -USR1 $$", -10)]
    public async Task Exit_codes_and_signal_deaths_are_reported(string command, int expected)
    {
        var process = Start(command);

        (await process.Exited.WaitAsync(Limit)).Should().Be(expected);
    }

    [Fact]
    public async Task Stop_after_exit_returns_at_once()
    {
        var process = Start("exit 0");
        await process.Exited.WaitAsync(Limit);
        var watch = Stopwatch.StartNew();

        await process.StopAsync(TimeSpan.FromSeconds(10));

        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Stop_gives_the_app_its_grace_period_even_when_the_shell_that_started_it_dies_of_SIGTERM_at_once()
    {
        // dash does not exec the last command of "sh -c": the leader is the shell, the app its child.
        var process = Start("sh -c 'trap \"sleep 0.5; echo finished its job; exit 0\" TERM; echo ready; while :; do sleep 0.1; done'");
        await WaitForLineAsync("ready");

        await process.StopAsync(TimeSpan.FromSeconds(5)).WaitAsync(Limit);

        Texts(OutputStream.Stdout).Should().Contain("finished its job", "the app is not SIGKILLed when its shell exits");
        ProcessTable.RunningInGroup(process.Pid).Should().BeEmpty();
    }

    private ILaunchedProcess Start(string command, Dictionary<string, string>? environment = null, bool lowPriority = false)
    {
        environment ??= new() { ["PATH"] = Environment.GetEnvironmentVariable("PATH")! };
        var process = _launcher.Start(new LaunchSpec(command, _dir, environment, lowPriority), _lines.Enqueue);
        _started.Add(process);
        return process;
    }

    private List<string> Texts(OutputStream stream) => _lines.Where(l => l.Stream == stream).Select(l => l.Text).ToList();

    private async Task<string> WaitForLineAsync(string? text = null)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var line = _lines.FirstOrDefault(l => text is null || l.Text == text);
            if (line.Text is not null)
            {
                return line.Text;
            }
            deadline.Elapsed.Should().BeLessThan(Limit, $"the process should print {text ?? "a line"}");
            await Task.Delay(10);
        }
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            watch.Elapsed.Should().BeLessThan(Limit);
            await Task.Delay(10);
        }
    }
}
