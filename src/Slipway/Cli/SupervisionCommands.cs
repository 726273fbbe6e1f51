using System.CommandLine;

namespace Slipway.Cli;

/// <summary>upgrade, launcher (hidden: what `up` leaves running).</summary>
internal static class SupervisionCommands
{
    public static IEnumerable<Command> Create(CliContext cli)
    {
        yield return Upgrade(cli);
        yield return LauncherCommand(cli);
    }

    private static Command Upgrade(CliContext cli)
    {
        var binary = new Argument<string?>("binary")
        {
            Description = "The new slipway executable (default: this one; ./slipway builds the newest first)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("upgrade", "Hand the running platform to another slipway binary without stopping any app or refusing any connection")
        {
            binary,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var path = parse.GetValue(binary) ?? Environment.ProcessPath;
            if (path is null || Path.GetFileNameWithoutExtension(path) == "dotnet")
            {
                throw new UserException("Give the path of the new slipway executable: slipway upgrade PATH (./slipway --print-binary prints the newest build).");
            }
            path = Path.GetFullPath(path);
            using var api = cli.LocalApi(parse);
            if (!await api.IsUpAsync(token))
            {
                throw new UserException($"No platform is running on {CliContext.DataDir(parse)}: start it with the new binary instead ({path} up or server).");
            }
            var before = await api.GetAsync<Api.PingDto>("v1/ping", token);
            await cli.Out.WriteLineAsync($"Starting {path} beside the running platform (pid {before.Pid})...");
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var started = await api.PostAsync<Api.UpgradeDto>("v1/platform/upgrade", new Api.UpgradeRequest(path), token);
            await cli.Out.WriteLineAsync($"The new platform (pid {started.Pid}, {started.Version}) has the sockets; the old one hands over its apps and finishes its requests...");
            DateTime? bothGone = null;
            while (true)
            {
                int? answering = null;
                try
                {
                    answering = (await api.GetAsync<Api.PingDto>("v1/ping", token)).Pid;
                }
                catch (Exception e) when (e is HttpRequestException or IOException or System.Net.Sockets.SocketException or UserException)
                {
                    // The old platform closing its connections while it stops: asked again until the new one answers.
                }
                if (answering == started.Pid)
                {
                    break;
                }
                if (answering is { } other && other != before.Pid)
                {
                    // The successor died after it took the sockets, the old one exited for it, and the supervisor started
                    // the previous version again: it serves, with every app.
                    throw new UserException($"The new platform (pid {started.Pid}, {started.Version}) stopped after it took over; " +
                        $"the supervisor started the previous version again (pid {other}), which serves with every app. " +
                        "Why it stopped is in the platform's log (DATA/server.log for `slipway up`, journalctl -u slipway under systemd).");
                }
                if (!IsRunning(started.Pid) && !IsRunning(before.Pid))
                {
                    bothGone ??= DateTime.UtcNow;
                    if (DateTime.UtcNow - bothGone > TimeSpan.FromSeconds(10))
                    {
                        throw new UserException($"The new platform (pid {started.Pid}) stopped after it took over and nothing started the previous " +
                            "version again (no supervisor: a platform started by `slipway server` by hand). Start it again: slipway up, or slipway server. " +
                            "Why it stopped is in its output.");
                    }
                }
                if (watch.Elapsed > TimeSpan.FromMinutes(2))
                {
                    throw new UserException($"The new platform (pid {started.Pid}) did not answer within 2 minutes; see the platform's log. " +
                        "If it died, its supervisor (systemd or the launcher 'up' left) starts the previous version again.");
                }
                await Task.Delay(50, token);
            }
            await cli.Out.WriteLineAsync($"Upgraded: {started.Version} serves now (pid {started.Pid}), {watch.Elapsed.TotalSeconds:0.0}s; every app kept running.");
            return 0;
        }));
        return command;
    }

    private static bool IsRunning(int pid) => Directory.Exists($"/proc/{pid.ToString(System.Globalization.CultureInfo.InvariantCulture)}");

    private static Command LauncherCommand(CliContext cli)
    {
        var server = new Argument<string[]>("command") { Description = "The platform's command line: PROGRAM server --data ...", Arity = ArgumentArity.OneOrMore };
        var command = new Command("launcher", "Run the platform and start it again when it dies, keeping its listening sockets (what 'up' leaves running)")
        {
            server,
        };
        command.Hidden = true;
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var line = parse.GetValue(server)!;
            return await new Launcher(CliContext.DataDir(parse), line[0], line[1..], cli.Err).RunAsync(token);
        }));
        return command;
    }
}
