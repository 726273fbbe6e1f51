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
        var command = new Command("apps", "List apps with their state and URLs") { CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<AppDto>(parse, "v1/apps",
            "No apps yet. Deploy one: slipway deploy DIR --app NAME",
            apps => cli.Table(["app", "env", "state", "live", "instances", "url"], apps.OrderBy(a => a.App).ThenBy(a => a.Env != "production").ThenBy(a => a.Env).Select(a => (IReadOnlyList<string>)
            [
                a.App, a.Env, a.State, a.Live?.Id ?? "-",
                $"{a.Instances.Count(i => i.Role == "serving" && i.State == Runtime.InstanceState.Healthy)}/{a.Instances.Count(i => i.Role == "serving")}",
                a.Urls.FirstOrDefault() ?? "-",
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
            cli.Out.WriteLine(a.Live is { } live
                ? $"live:      {live.Id} (#{live.Number}, {JsonSpellings.Of(live.Kind)}, {live.Commit ?? live.Source}, since {(live.FinishedAt is { } at ? UtcTime.Format(at) : "-")})"
                : "live:      none");
            cli.Out.WriteLine();
            cli.Table(["instance", "service", "role", "state", "pid", "port", "restarts", "in-flight", "requests"], a.Instances.Select(i => (IReadOnlyList<string>)
            [
                i.Id, i.Service, i.Role, JsonSpellings.Of(i.State), i.Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                i.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                i.Restarts.ToString(System.Globalization.CultureInfo.InvariantCulture),
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

    private static Command Logs(CliContext cli)
    {
        var app = AppOption.Required();
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines as they come" };
        var since = new Option<string>("--since") { Description = "Only lines newer than this: a duration (10m, 2h) or a time (2026-11-21T10:00:00Z)" };
        var service = new Option<string>("--service") { Description = "Only this service's lines" };
        var tail = new Option<int>("--tail", "-n") { Description = "How many stored lines to show first", DefaultValueFactory = _ => 200 };
        var deployment = new Option<string>("--deployment", "-d") { Description = "Show this deployment's build, release and deploy log instead" };
        var access = new Option<bool>("--access") { Description = "Show the edge's access log instead: one JSON line per request (no query strings)" };
        var command = new Command("logs", "The app's logs: every instance's stdout and stderr, kept across deploys") { app, follow, since, service, tail, deployment, access, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            if (parse.GetValue(deployment) is { } id)
            {
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
                (parse.GetValue(access) ? "&access=true" : "");
            if (parse.GetValue(since) is { } s)
            {
                query += "&since=" + Uri.EscapeDataString(s);
            }
            if (parse.GetValue(service) is { } svc)
            {
                query += "&service=" + Uri.EscapeDataString(svc);
            }
            var json = parse.GetValue(CliContext.JsonOutput);
            try
            {
                await foreach (var entry in api.StreamAsync(query, token))
                {
                    await cli.Out.WriteLineAsync(json
                        ? JsonSerializer.Serialize(entry, LogJson.Default.LogEntry)
                        : $"{entry.At.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ} {entry.Service ?? "-"}/{Short(entry.Instance)} {(entry.Kind == "err" ? "! " : entry.Kind == "platform" ? "* " : "")}{entry.Message}");
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            return 0;
        }));
        return command;
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
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask; required when not on a terminal" };
        var command = new Command("destroy", "Stop the app and delete its deployments, builds and logs") { app, yes };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var name = parse.GetValue(app)!;
            if (!parse.GetValue(yes))
            {
                if (Console.IsInputRedirected)
                {
                    throw new UserException($"destroy deletes everything of {name}; confirm with --yes.");
                }
                cli.Out.Write($"Destroy {name} with all its deployments, builds and logs? Type the app name to confirm: ");
                if (Console.ReadLine()?.Trim() != name)
                {
                    throw new UserException("Not confirmed; nothing was destroyed.");
                }
            }
            using var api = cli.Api(parse);
            await api.DeleteAsync<JsonElement>($"v1/apps/{name}", token);
            cli.Out.WriteLine($"Destroyed {name}.");
            return 0;
        }));
        return command;
    }
}
