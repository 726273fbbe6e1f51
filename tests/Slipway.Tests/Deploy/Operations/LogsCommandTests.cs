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

    [Fact]
    public async Task Logs_are_searched_by_pattern_and_level_on_the_server_and_while_following()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(JsonLoggingApp(), "levels")).ExitCode.Should().Be(0);

        var found = await platform.LogsContainingAsync("payment", "--app", "levels", "--grep", @"payment \d+ failed");
        found.ExitCode.Should().Be(0, found.ToString());
        found.Out.Trim().Split('\n').Should().ContainSingle().Which.Should()
            .Contain("[error] {\"level\":50", "a JSON line at error on stdout shows its level, then the line as printed");

        var errors = await platform.LogsContainingAsync("disk full", "--app", "levels", "--level", "error");
        errors.Out.Should().Contain("payment 42 failed").And.Contain("! plain stderr: disk full", "a plain stderr line is an error")
            .And.NotContain("\"started\"", "the pino info line is below error").And.NotContain("warming up");
        var warnings = await platform.CliAsync("logs", "--app", "levels", "--level", "WARN", "--grep", "WARMING", "-i", "--json");
        warnings.Out.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain("\"l\":\"warn\"").And.Contain("warming up");
        var info = await platform.CliAsync("logs", "--app", "levels", "--grep", "started", "--json");
        info.Out.Should().Contain("\"l\":\"info\"", "every line the API gives has its level");
        (await platform.CliAsync("logs", "--app", "levels", "--until", "1h")).Out.Trim().Should().BeEmpty("nothing is older than an hour");

        var invalid = await platform.CliAsync("logs", "--app", "levels", "--grep", "payment (");
        invalid.ExitCode.Should().Be(1);
        invalid.Err.Should().Contain("--grep 'payment (' is not a valid regular expression");
        var level = await platform.CliAsync("logs", "--app", "levels", "--level", "loud");
        level.ExitCode.Should().Be(1);
        level.Err.Should().Contain("use one of trace, debug, info, warn, error, fatal");

        // Following: new lines are filtered by the pattern too.
        using var cts = new CancellationTokenSource();
        var output = new SyncWriter();
        var follow = Slipway.Cli.CliApp.RunAsync(["logs", "--app", "levels", "-f", "--tail", "0", "--grep", "^wanted", "--data", platform.DataDir],
            output, output, cts.Token);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!output.Text.Contains("wanted line", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            using (await platform.GetAsync("levels", "/log?line=unwanted+line")) { }
            using (await platform.GetAsync("levels", "/log?line=wanted+line")) { }
            await Task.Delay(200);
        }
        await cts.CancelAsync();
        await follow;
        output.Text.Should().Contain("wanted line").And.NotContain("unwanted");
    }

    /// <summary>A dependency-free Node app that logs as pino does (JSON lines with numeric levels) and plainly on stderr
    /// at start; GET /log?line=TEXT prints TEXT on stdout.</summary>
    private static string JsonLoggingApp()
    {
        var dir = TempDirs.Create("jsonlogs");
        File.WriteAllText(Path.Combine(dir, "server.js"), """
            const http = require('http');
            const log = (level, msg, extra) => console.log(JSON.stringify({ level, time: Date.now(), pid: process.pid, msg, ...extra }));
            log(30, 'started');
            log(40, 'cache warming up');
            log(50, 'payment 42 failed', { orderId: 7, err: { message: 'card "declined"' } });
            console.error('plain stderr: disk full');
            http.createServer((req, res) => {
              const url = new URL(req.url, 'http://x');
              if (url.pathname === '/log') console.log(url.searchParams.get('line'));
              res.end('ok');
            }).listen(process.env.PORT, process.env.HOST);
            process.on('SIGTERM', () => process.exit(0));
            """);
        File.WriteAllText(Path.Combine(dir, "slipway.json"), """{ "services": { "web": { "start": "node server.js" } } }""");
        return dir;
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
