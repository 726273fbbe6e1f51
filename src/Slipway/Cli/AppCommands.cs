using System.CommandLine;
using System.Text.Json;
using Slipway.Api;
using Slipway.Runtime;

namespace Slipway.Cli;

/// <summary>apps, status, logs, stop, start, destroy.</summary>
internal static class AppCommands
{
    public static IEnumerable<Command> Create(CliContext cli)
    {
        yield return Apps(cli);
        yield return Status(cli);
        yield return Logs(cli);
        yield return Simple(cli, "stop", "Stop every instance of the app; its URL answers 404 until 'slipway start'", "stop");
        yield return Simple(cli, "start", "Start the app's live deployment again (waits until healthy)", "start");
        yield return Destroy(cli);
    }

    private static Command Apps(CliContext cli)
    {
        var command = new Command("apps", "List apps with their state, URL and every hostname") { CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<AppDto>(parse, "v1/apps",
            "No apps yet. Deploy one: slipway deploy DIR --app NAME",
            apps => cli.Table(["app", "env", "state", "live", "instances", "url", "hostnames"], apps.OrderBy(a => a.App).ThenBy(a => a.Env != "production").ThenBy(a => a.Env).Select(a => (IReadOnlyList<string>)
            [
                a.App, a.Env, a.State, a.Live?.Id ?? "-",
                $"{a.Instances.Count(i => i.Role == "serving" && i.State == Runtime.InstanceState.Healthy)}/{a.Instances.Count(i => i.Role == "serving")}",
                a.Urls.FirstOrDefault() ?? "-",
                string.Join(",", a.Hosts),
            ])), token)));
        return command;
    }

    private static Command Status(CliContext cli)
    {
        var app = AppOption.Required();
        var command = new Command("status", "The app's live deployment, instances, and recent events") { app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ShowAsync<AppDto>(parse, $"v1/apps/{parse.GetValue(app)}", async (a, api) =>
        {
            cli.Out.WriteLine($"app:       {a.Name}");
            cli.Out.WriteLine($"state:     {a.State}");
            cli.Out.WriteLine($"urls:      {string.Join(", ", a.Urls)}");
            cli.Out.WriteLine($"hostnames: {string.Join(", ", a.Hosts)} ('slipway hosts add|rm' changes them)");
            cli.Out.WriteLine(a.Live is { } live
                ? $"live:      {live.Id} (#{live.Number}, {JsonSpellings.Of(live.Kind)}, {live.Commit ?? live.Source}, since {(live.FinishedAt is { } at ? UtcTime.Format(at) : "-")})"
                : "live:      none");
            if (a.Disk is { } disk)
            {
                cli.Out.WriteLine($"disk:      build {(disk.BuildBytes is { } b ? VolumeCommands.Size(b) : "-")}, volumes {VolumeCommands.Size(disk.VolumeBytes)} ('slipway volumes ls'); quota {disk.Quota}");
            }
            cli.Out.WriteLine();
            cli.Table(["instance", "service", "role", "state", "pid", "port", "memory", "cpu", "restarts", "in-flight", "requests"], a.Instances.Select(i => (IReadOnlyList<string>)
            [
                i.Id, i.Service, i.Role, JsonSpellings.Of(i.State), i.Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                i.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                Memory(i), i.CpuPercent is { } cpu ? cpu.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "%" : "-",
                i.Restarts.ToString(System.Globalization.CultureInfo.InvariantCulture) + (i.OomKills > 0 ? $" ({i.OomKills} oom)" : ""),
                i.InFlight.ToString(System.Globalization.CultureInfo.InvariantCulture),
                i.Requests.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ]));
            var events = await api.GetAsync<List<EventDto>>($"v1/apps/{a.Name}/events", token);
            if (events.Count > 0)
            {
                cli.Out.WriteLine();
                cli.Out.WriteLine("recent events:");
                foreach (var e in events.Take(8))
                {
                    cli.Out.WriteLine($"  {UtcTime.Format(e.At)}  {e.Kind,-22} {e.Message}");
                }
            }
        }, token)));
        return command;
    }

    /// <summary>"45mb / 512mb": use and limit, in whole megabytes ("-" without per-instance accounting).</summary>
    private static string Memory(InstanceDto i)
    {
        static string Mb(long bytes) => $"{Math.Round(bytes / 1048576.0).ToString(System.Globalization.CultureInfo.InvariantCulture)}mb";
        return i.MemoryBytes is not { } used ? "-" : i.MemoryLimitBytes is { } limit ? $"{Mb(used)} / {Mb(limit)}" : Mb(used);
    }

    private static Command Logs(CliContext cli)
    {
        var app = AppOption.Required();
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines as they come (--grep, --level and --service apply to them too)" };
        var since = new Option<string>("--since") { Description = "Only lines at or after this: a duration ago (10m, 2h) or a time (2026-11-21T10:00:00Z)" };
        var until = new Option<string>("--until") { Description = "Only lines at or before this: a duration ago (10m, 2h) or a time (2026-11-21T10:00:00Z)" };
        var grep = new Option<string>("--grep")
        {
            Description = "Only lines whose message matches this .NET regular expression, case-sensitive unless -i. The message is the " +
                "line as the app printed it (a JSON line's JSON text). Searched on the server; a plain word in it makes a search of a full log fast",
        };
        var ignoreCase = new Option<bool>("--ignore-case", "-i") { Description = "--grep ignores case" };
        var level = new Option<string>("--level")
        {
            Description = $"Only lines of this level or worse ({LogLevels.Choices}; --level warn shows warn, error and fatal). " +
                "A JSON line's own level counts (\"level\", \"severity\", \"@l\"... as pino, winston, bunyan, Serilog or structlog write it); " +
                "a plain line is info on stdout and error on stderr, as Heroku- and Railway-style platforms classify output; " +
                "a crash or a failing health check is an error or a warning; with --access, a 5xx is an error and a 4xx a warning",
        };
        var service = new Option<string>("--service") { Description = "Only this service's lines" };
        var tail = new Option<int>("--tail", "-n") { Description = "How many stored lines to show first (the last ones that match)", DefaultValueFactory = _ => 200 };
        var deployment = new Option<string>("--deployment", "-d") { Description = "Show this deployment's build, release and deploy log instead" };
        var access = new Option<bool>("--access")
        {
            Description = "Show the edge's access log instead: per request its time, service, then method, path (no query string), " +
                "status, ms, ip, route, proto and id as key=value (with --json, one JSON log entry per line)",
        };
        var command = new Command("logs", "The app's logs: every instance's stdout and stderr, kept across deploys, searched and followed")
        {
            app, follow, since, until, grep, ignoreCase, level, service, tail, deployment, access, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            if (parse.GetValue(deployment) is { } id)
            {
                if (parse.GetValue(grep) is not null || parse.GetValue(level) is not null || parse.GetValue(until) is not null)
                {
                    throw new UserException("--grep, --level and --until search an app's logs; --deployment shows a deployment's whole log. " +
                        $"Drop them, or pipe it through grep: slipway logs --deployment {id} | grep PATTERN");
                }
                await foreach (var entry in api.StreamAsync($"v1/deployments/{id}/log?follow={(parse.GetValue(follow) ? "true" : "false")}", token))
                {
                    if (entry.Kind != "status")
                    {
                        await cli.Out.WriteLineAsync(parse.GetValue(CliContext.JsonOutput)
                            ? JsonSerializer.Serialize(entry, LogJson.Default.LogEntry)
                            : $"{entry.At.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ} {entry.Kind,-7} {(entry.Service is null ? "" : $"[{entry.Service}] ")}{entry.Message}");
                    }
                }
                return 0;
            }
            var query = $"v1/apps/{parse.GetValue(app)}/logs?tail={parse.GetValue(tail)}&follow={(parse.GetValue(follow) ? "true" : "false")}" +
                (parse.GetValue(access) ? "&access=true" : "") + (parse.GetValue(ignoreCase) ? "&ignoreCase=true" : "");
            foreach (var (name, value) in new[] { ("since", since), ("until", until), ("service", service), ("grep", grep), ("level", level) })
            {
                if (parse.GetValue(value) is { } text)
                {
                    query += $"&{name}={Uri.EscapeDataString(text)}";
                }
            }
            var json = parse.GetValue(CliContext.JsonOutput);
            try
            {
                await foreach (var entry in api.StreamAsync(query, token))
                {
                    await cli.Out.WriteLineAsync(json ? JsonSerializer.Serialize(entry, LogJson.Default.LogEntry) : Line(entry));
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            return 0;
        }));
        return command;
    }

    /// <summary>A line of `slipway logs`: time, service/instance, "! " for stderr and "* " for the platform's own lines,
    /// the level when it is not the stream's usual one ("[error] " on a JSON line on stdout), then the line as printed.</summary>
    private static string Line(LogEntry entry)
    {
        var at = entry.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        if (entry.Kind == "access")
        {
            return $"{at} {entry.Service ?? "-"} {entry.Message}";
        }
        var stream = entry.Kind == "err" ? "! " : entry.Kind == "platform" ? "* " : "";
        var usual = entry.Kind == "err" ? LogSeverity.Error : LogSeverity.Info;
        var level = entry.Level is { } l && l != usual ? $"[{JsonSpellings.Of(l)}] " : "";
        return $"{at} {entry.Service ?? "-"}/{Short(entry.Instance)} {stream}{level}{entry.Message}";
    }

    private static string Short(string? instance) => instance is null ? "-" : instance.Length > 6 ? instance[^6..] : instance;

    private static Command Simple(CliContext cli, string name, string description, string verb)
    {
        var app = AppOption.Required();
        var command = new Command(name, description) { app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var result = await api.PostAsync<AppDto>($"v1/apps/{parse.GetValue(app)}/{verb}", null, token);
            cli.Print(parse, result, r => cli.Out.WriteLine($"{r.Name}: {r.State}"));
            return 0;
        }));
        return command;
    }

    private static Command Destroy(CliContext cli)
    {
        var app = AppOption.Required();
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask (scripts). Without it destroy asks for the app name on a terminal, and refuses without one" };
        var keep = new Option<bool>("--keep-databases")
        {
            Description = "Keep the environment's databases, detached ('slipway db ls'; 'slipway db attach' gives one to an environment again), instead of dropping them",
        };
        var command = new Command("destroy", """
            Stop the app environment and delete it: deployments, builds, logs, hostnames and databases. It first lists everything it
            deletes, databases with their sizes. Each postgres database gets a final backup, verified by a restore, before anything is
            dropped; the backup stays listed ('slipway db backups --app APP') and destroy prints the command that restores it. If a
            final backup fails, nothing is deleted and the error says why. Redis databases have no backups and are dropped;
            --keep-databases keeps every database instead, detached. On a terminal it asks you to type the app name; --yes skips the
            question (scripts); without a terminal and without --yes it refuses.
            """) { app, keep, yes, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var name = parse.GetValue(app)!;
            var keepDatabases = parse.GetValue(keep);
            var json = parse.GetValue(CliContext.JsonOutput);
            using var api = cli.Api(parse);
            var plan = await api.GetAsync<DestroyPlanDto>($"v1/apps/{name}/destroy-plan?keepDatabases={(keepDatabases ? "true" : "false")}", token);
            var owner = new AppRef(plan.App, plan.Env);
            if (!json)
            {
                PrintPlan(cli, owner, plan);
            }
            if (!parse.GetValue(yes))
            {
                if (Console.IsInputRedirected)
                {
                    throw new UserException($"Nothing was destroyed: destroy asks for the app name on a terminal, and there is none here. " +
                        $"To destroy without asking (scripts): slipway destroy {owner.Flags}{(keepDatabases ? " --keep-databases" : "")} --yes");
                }
                // With --json standard output is for the result alone: the question goes to standard error.
                (json ? cli.Err : cli.Out).Write(json ? $"Type {plan.App} to destroy {owner}: " : $"Type {plan.App} to destroy {owner} as listed above: ");
                if (Console.ReadLine()?.Trim() != plan.App)
                {
                    throw new UserException("Not confirmed; nothing was destroyed.");
                }
            }
            var result = await DbOperation.RunAsync<DestroyedDto>(cli, api, $"v1/apps/{name}/destroy", new DestroyBody(keepDatabases), json, token);
            cli.Print(parse, result, r => PrintDestroyed(cli, owner, r));
            return 0;
        }));
        return command;
    }

    private static void PrintPlan(CliContext cli, AppRef owner, DestroyPlanDto plan)
    {
        cli.Out.WriteLine($"Destroying {owner} deletes:");
        cli.Out.WriteLine($"  {plan.Deployments} deployment(s), {plan.Builds} build(s) and the app's logs");
        cli.Out.WriteLine($"  hostnames: {string.Join(", ", plan.Hosts)}");
        foreach (var db in plan.Databases)
        {
            var fate = db.Fate switch
            {
                DatabaseFate.Kept => "kept, detached ('slipway db ls' lists it)",
                DatabaseFate.BackedUpThenDropped => "a final backup first (verified by a restore), then dropped",
                _ => $"dropped without a backup ({db.Type} databases have no backups)",
            };
            cli.Out.WriteLine($"  database {db.Name} ({db.Type} {db.Database} on {db.Server}, {Size(db.SizeBytes)}): {fate}");
        }
        if (plan.Databases.Count == 0)
        {
            cli.Out.WriteLine("  no databases");
        }
    }

    private static void PrintDestroyed(CliContext cli, AppRef owner, DestroyedDto result)
    {
        cli.Out.WriteLine($"Destroyed {owner}.");
        foreach (var db in result.Databases)
        {
            cli.Out.WriteLine(db switch
            {
                { Fate: DatabaseFate.Kept } => $"  database {db.Name} is kept, detached as {db.Database}. To attach it again: {db.Restore}",
                { Backup: { } backup } => $"  database {db.Name} ({Size(db.SizeBytes)}): final backup {backup}, verified. To restore it: {db.Restore}" +
                    $" (then 'slipway db attach NAME {owner.Flags}' makes it an environment's database again)",
                _ => $"  database {db.Name} ({db.Type}) was dropped without a backup.",
            });
        }
    }

    private static string Size(long? bytes) => bytes is { } b ? Databases.OperationProgress.Size(b) : "size unknown";
}
