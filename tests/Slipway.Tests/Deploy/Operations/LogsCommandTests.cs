using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy.Operations;

/// <summary>`slipway logs`: lines kept across redeploys, filtered by time and service, followed as they are written.</summary>
[Collection("platform")]
public sealed class LogsCommandTests
{
    [Fact]
    public async Task Logs_survive_redeploys_and_filter_by_time_and_service()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "logged")).ExitCode.Should().Be(0);
        using (await platform.GetAsync("logged", "/api/items?from=v1")) { }
        (await platform.DeployAsync(TestApps.Copy("node-api", "2"), "logged")).ExitCode.Should().Be(0);
        using (await platform.GetAsync("logged", "/api/items?from=v2")) { }

        var all = await platform.LogsContainingAsync("from=v2", "--app", "logged");
        all.ExitCode.Should().Be(0, all.ToString());
        all.Out.Should().Contain("from=v1", "lines of a replaced version are kept").And.Contain("from=v2");
        var recent = await platform.CliAsync("logs", "--app", "logged", "--since", "1ms");
        recent.Out.Should().NotContain("from=v1");
        var none = await platform.CliAsync("logs", "--app", "logged", "--service", "nope");
        none.Out.Trim().Should().BeEmpty();
        var bad = await platform.CliAsync("logs", "--app", "logged", "--since", "yesterday-ish");
        bad.ExitCode.Should().Be(1);
        bad.Err.Should().Contain("--since");

        // Following: a line written after the command started arrives while it runs.
        using var cts = new CancellationTokenSource();
        var output = new SyncWriter();
        var follow = Slipway.Cli.CliApp.RunAsync(["logs", "--app", "logged", "-f", "--tail", "0", "--data", platform.DataDir], output, output, cts.Token);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!output.Text.Contains("from=followed") && DateTime.UtcNow < deadline)
        {
            using (await platform.GetAsync("logged", "/api/items?from=followed")) { }
            await Task.Delay(200);
        }
        await cts.CancelAsync();
        await follow;
        output.Text.Should().Contain("from=followed").And.NotContain("from=v1", "--tail 0 starts with no stored lines");
        Directory.Exists(Path.Combine(platform.DataDir, "logs", "apps", "logged")).Should().BeTrue("logs live in the data directory, outside every build");
    }

    private sealed class SyncWriter : StringWriter
    {
        private readonly Lock _gate = new();

        public string Text
        {
            get
            {
                lock (_gate)
                {
                    return ToString();
                }
            }
        }

        public override void Write(char value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_gate)
            {
                base.WriteLine(value);
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(string? value)
        {
            Write(value);
            return Task.CompletedTask;
        }
    }
}
