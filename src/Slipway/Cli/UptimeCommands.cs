using System.CommandLine;
using System.Globalization;
using Slipway.Api;
using Slipway.Monitoring.Uptime;

namespace Slipway.Cli;

/// <summary>slipway uptime add | ls | rm | set | pause | resume: URLs checked from this machine on a schedule, with
/// incidents and availability against an SLO. Every deployed app environment has a default check through the edge.</summary>
internal static class UptimeCommands
{
    private const string Availability =
        "Availability is time-weighted: the share of the window (24 h, 7 d, 30 d, from when the check exists) not covered by an incident. " +
        "An incident opens after 2 failed checks in a row (starting at the first) and closes after 2 successful checks in a row (ending at the first), " +
        "so a target that flaps every check opens no incident, and one that stays down is down for its whole length.";

    public static Command Create(CliContext cli)
    {
        var uptime = new Command("uptime", "Check URLs from this machine: every deployed app by default, and any URL you add; incidents, availability, alerts");
        uptime.Subcommands.Add(Add(cli));
        uptime.Subcommands.Add(List(cli));
        uptime.Subcommands.Add(Remove(cli));
        uptime.Subcommands.Add(Set(cli));
        uptime.Subcommands.Add(Pause(cli, paused: true));
        uptime.Subcommands.Add(Pause(cli, paused: false));
        return uptime;
    }

    private static Command Add(CliContext cli)
    {
        var url = new Argument<string>("url") { Description = "The URL to GET, like https://shop.example.com/health" };
        var name = new Option<string>("--name") { Description = "A name for the check (default: from the URL's host)" };
        var app = AppOption.Optional("The app the check belongs to (its permissions, alerts and status pages; with --env: that environment); default: platform-wide");
        var (every, expect, timeout, slo) = SettingOptions();
        var command = new Command("add", "Check a URL on a schedule: an incident opens after 2 failures in a row and closes after 2 successes in a row")
        {
            url, name, app, every, expect, timeout, slo, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var body = new UptimeAddBody(parse.GetValue(url), parse.GetValue(name), parse.GetValue(every), parse.GetValue(expect), parse.GetValue(timeout),
                parse.GetValue(slo));
            var check = await api.PostAsync<UptimeView>(parse.GetValue(app) is { } a ? $"v1/apps/{a}/uptime" : "v1/uptime", body, token);
            cli.Print(parse, check, c =>
            {
                cli.Out.WriteLine($"Check {c.Name} GETs {c.Url} every {Durations.Format(c.Every)} (expects {c.Expect}, timeout {Durations.Format(c.Timeout)}, " +
                    $"SLO {Slo(c.Slo)}%) for {Whose(c)}.");
                cli.Out.WriteLine("'slipway uptime ls' shows its state and availability.");
            });
            return 0;
        }));
        return command;
    }

    private static Command List(CliContext cli)
    {
        var app = AppOption.Optional("Only this app's checks (with --env: that environment's)");
        var command = new Command("ls", "Checks with their state (up, down, paused, unknown), last response, availability over 24 h / 7 d / 30 d " +
            "against their SLO, and open incident. " + Availability + " " + UptimeNotes.FromThisMachine)
        {
            app, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<UptimeView>(parse,
            parse.GetValue(app) is { } name ? $"v1/apps/{name}/uptime" : "v1/uptime",
            "No uptime checks yet: every deployed app gets one, or add one: slipway uptime add https://HOST/PATH [--app APP]\n" + UptimeNotes.FromThisMachine,
            checks =>
            {
                cli.Table(["name", "app", "url", "state", "last", "24h", "7d", "30d", "slo", "incident"], checks.Select(c => (IReadOnlyList<string>)
                [
                    c.Name, c.App is null ? "(platform)" : c.Env == AppRef.Production ? c.App : $"{c.App} ({c.Env})", c.Url, JsonSpellings.Of(c.State),
                    Last(c), Percent(c.Availability24h, c.Slo), Percent(c.Availability7d, c.Slo), Percent(c.Availability30d, c.Slo), Slo(c.Slo),
                    c.IncidentId is null ? "-" : $"{c.IncidentId} since {Time(c.DownSince)}: {c.Cause}",
                ]));
                foreach (var below in checks.Where(c => !c.MeetsSlo))
                {
                    cli.Err.WriteLine($"warning: {below.Name} is below its SLO over 30 days ({Percent(below.Availability30d, below.Slo)} < {Slo(below.Slo)}%)");
                }
                cli.Out.WriteLine();
                cli.Out.WriteLine(UptimeNotes.FromThisMachine);
            }, token)));
        return command;
    }

    private static Command Remove(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "The check to remove (an app's default check cannot be removed: pause it)" };
        var command = new Command("rm", "Remove a check you added, with its incidents") { name, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var check = await api.DeleteAsync<UptimeView>($"v1/uptime/{Uri.EscapeDataString(parse.GetValue(name)!)}", token);
            cli.Print(parse, check, c => cli.Out.WriteLine($"Removed check {c.Name} ({c.Url})."));
            return 0;
        }));
        return command;
    }

    private static Command Set(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "The check (default: the default check of --app)", Arity = ArgumentArity.ZeroOrOne };
        var app = AppOption.Optional("The app whose default check to change, when no NAME is given");
        var (every, expect, timeout, slo) = SettingOptions();
        var path = new Option<string>("--path") { Description = "A default check's path on the app's hostname, like /health (default: its healthcheck path)" };
        var command = new Command("set", "Change a check's interval, expected statuses, timeout, SLO or (an app's default check) path")
        {
            name, app, every, expect, timeout, slo, path, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var check = await NameAsync(api, parse, name, app, "set", token);
            var body = new UptimeSetBody(parse.GetValue(every), parse.GetValue(expect), parse.GetValue(timeout), parse.GetValue(slo), parse.GetValue(path));
            var changed = await api.PostAsync<UptimeView>($"v1/uptime/{Uri.EscapeDataString(check)}/settings", body, token);
            cli.Print(parse, changed, c => cli.Out.WriteLine($"Check {c.Name} GETs {c.Url} every {Durations.Format(c.Every)} (expects {c.Expect}, " +
                $"timeout {Durations.Format(c.Timeout)}, SLO {Slo(c.Slo)}%)."));
            return 0;
        }));
        return command;
    }

    private static Command Pause(CliContext cli, bool paused)
    {
        var name = new Argument<string>("name") { Description = "The check (default: the default check of --app)", Arity = ArgumentArity.ZeroOrOne };
        var app = AppOption.Optional("The app whose default check it is, when no NAME is given");
        var command = new Command(paused ? "pause" : "resume", paused
            ? "Stop running a check (an app's default check too); its open incident closes and its alert resolves"
            : "Run a paused check again") { name, app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var check = await NameAsync(api, parse, name, app, paused ? "pause" : "resume", token);
            var view = await api.PostAsync<UptimeView>($"v1/uptime/{Uri.EscapeDataString(check)}/{(paused ? "pause" : "resume")}", null, token);
            cli.Print(parse, view, c => cli.Out.WriteLine(paused
                ? $"Paused check {c.Name}: it does not run until 'slipway uptime resume {c.Name}'."
                : $"Check {c.Name} runs again every {Durations.Format(c.Every)}."));
            return 0;
        }));
        return command;
    }

    private static (Option<string> Every, Option<string> Expect, Option<string> Timeout, Option<double?> Slo) SettingOptions() => (
        new Option<string>("--every") { Description = "How often to check, like 1m or 30s (default 1m)" },
        new Option<string>("--expect") { Description = "Statuses that count as up: a code (200), a list (200,204) or a class (2xx); default 2xx,3xx (redirects are not followed)" },
        new Option<string>("--timeout") { Description = "How long to wait for the answer, like 10s (default 10s)" },
        new Option<double?>("--slo") { Description = "The availability to meet, in percent (default 99.9)" });

    /// <summary>The check NAME names, or the default check of --app.</summary>
    private static async Task<string> NameAsync(ApiClient api, ParseResult parse, Argument<string> name, Option<string> app, string verb, CancellationToken token)
    {
        if (parse.GetValue(name) is { Length: > 0 } given)
        {
            return given;
        }
        if (parse.GetValue(app) is not { } target)
        {
            throw new UserException($"Which check? Give its name (slipway uptime {verb} NAME; 'slipway uptime ls' lists them) or --app APP for the app's default check.");
        }
        var checks = await api.GetAsync<List<UptimeView>>($"v1/apps/{target}/uptime", token);
        return checks.FirstOrDefault(c => c.Kind == UptimeCheckKind.Default)?.Name
            ?? throw new UserException($"{target} has no default check yet: it gets one with its first live deployment.");
    }

    private static string Whose(UptimeView c) => c.App is null ? "the platform" : c.Env == AppRef.Production ? c.App : $"{c.App} ({c.Env})";

    private static string Last(UptimeView c) => c.LastCheckedAt is null ? "-"
        : c.LastError is { } error ? error
        : $"{c.LastStatus} in {c.LastMs?.ToString("0", CultureInfo.InvariantCulture)} ms";

    private static string Percent(double? value, double slo) => value is not { } v ? "-"
        : (Math.Floor(v * 100) / 100).ToString("0.00", CultureInfo.InvariantCulture) + "% " + (v >= slo ? "✓" : "✗");

    private static string Slo(double slo) => slo.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset? at) => at?.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? "-";
}
