using System.CommandLine;
using System.Globalization;
using Slipway.Monitoring.Alerts;

namespace Slipway.Cli;

/// <summary>slipway alerts ls | history | set | on | off | reset | add | rm: the rules that raise alerts (built-in, on
/// by default, adjustable per app environment or platform-wide; custom ones over an app's traffic), what fires now
/// and what fired. Where notices go is <c>slipway channels</c>.</summary>
internal static class AlertCommands
{
    public static Command Create(CliContext cli, params Command[] more)
    {
        var alerts = new Command("alerts", "Alert rules (built-in, on by default; your own over an app's traffic), what fires now and what fired");
        alerts.Subcommands.Add(List(cli));
        alerts.Subcommands.Add(History(cli));
        alerts.Subcommands.Add(Set(cli));
        alerts.Subcommands.Add(Toggle(cli, "on", true));
        alerts.Subcommands.Add(Toggle(cli, "off", false));
        alerts.Subcommands.Add(Reset(cli));
        alerts.Subcommands.Add(Add(cli));
        alerts.Subcommands.Add(Remove(cli));
        foreach (var command in more)
        {
            alerts.Subcommands.Add(command);
        }
        return alerts;
    }

    private static Command List(CliContext cli)
    {
        var app = AppOption.Optional("The rules as set for this app (with --env: that environment); without: platform-wide, and what fires in every app");
        var command = new Command("ls", "Rules in effect (threshold, window, severity, channels, where set) and the alerts firing now") { app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ShowAsync<AlertsView>(parse, Path(parse, app, platform: null, ""), view =>
        {
            cli.Table(["rule", "on", "fires when", "severity", "channels", "set by"], view.Rules.Select(r => (IReadOnlyList<string>)
            [
                r.Name, r.Enabled ? "on" : "off", r.Custom ? r.Description : Settings(r), JsonSpellings.Of(r.Severity),
                r.Channels.Count == 0 ? "(all)" : string.Join(",", r.Channels), r.SetBy,
            ]));
            cli.Out.WriteLine();
            if (view.Firing.Count == 0)
            {
                cli.Out.WriteLine("Nothing is firing.");
            }
            else
            {
                cli.Out.WriteLine($"Firing ({view.Firing.Count}):");
                cli.Table(["since", "severity", "alert"], view.Firing.Select(a => (IReadOnlyList<string>)[Time(a.StartedAt), JsonSpellings.Of(a.Severity), a.Title]));
            }
        }, token)));
        return command;
    }

    private static Command History(CliContext cli)
    {
        var app = AppOption.Optional("Only this app's alerts (with --env: that environment's)");
        var since = new Option<string>("--since") { Description = "How far back: 24h, 7d (default), up to 90d" };
        var limit = new Option<int?>("--limit") { Description = "At most this many alerts (default 100)" };
        var command = new Command("history", "Alerts that fired, newest first: when, how long, resolved or still firing") { app, since, limit, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() =>
        {
            var query = $"?since={Uri.EscapeDataString(parse.GetValue(since) ?? "7d")}&limit={parse.GetValue(limit) ?? 100}";
            var path = (parse.GetValue(app) is { } name ? $"v1/apps/{Uri.EscapeDataString(name)}/alerts/history" : "v1/alerts/history") + query;
            return cli.ListAsync<AlertView>(parse, path, "No alerts in that window.", alerts =>
                cli.Table(["started", "resolved", "lasted", "severity", "rule", "alert", "notified"], alerts.Select(a => (IReadOnlyList<string>)
                [
                    Time(a.StartedAt), a.ResolvedAt is { } r ? Time(r) : "firing", Durations.Format(Round((a.ResolvedAt ?? DateTimeOffset.UtcNow) - a.StartedAt)),
                    JsonSpellings.Of(a.Severity), a.Rule, a.Title, Notified(a),
                ])), token);
        }));
        return command;
    }

    private static Command Set(CliContext cli)
    {
        var rule = new Argument<string>("rule") { Description = "A built-in rule: slipway alerts ls lists them" };
        var app = AppOption.Optional("Set it for this app (with --env: that environment)");
        var platform = Platform();
        var over = new Option<string>("--over") { Description = "Threshold in the rule's unit: 5% (error-rate, disk), 1s or 800ms (latency), 3 (dead-messages)" };
        var window = new Option<string>("--for") { Description = "Window or duration: 5m (error-rate, latency), 10m (crash-loop, oom-kill), 26h (backup)" };
        var minRequests = new Option<int?>("--min-requests") { Description = "Requests a window needs before a rate or percentile counts" };
        var count = new Option<int?>("--count") { Description = "crash-loop: restarts; cron-failed: failures in a row; certificate: days before expiry" };
        var severity = new Option<string>("--severity") { Description = "warning or critical" };
        var channels = new Option<string>("--channels") { Description = "Channels to notify, like ops,pager (default every channel)" };
        var command = new Command("set", "Adjust a built-in rule for an app or platform-wide; what is not given stays as it was")
        {
            rule, app, platform, over, window, minRequests, count, severity, channels, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var body = new AlertRuleBody(Over: parse.GetValue(over), For: parse.GetValue(window), MinRequests: parse.GetValue(minRequests),
                Count: parse.GetValue(count), Severity: parse.GetValue(severity), Channels: Split(parse.GetValue(channels)));
            return await PutAsync(cli, parse, $"{Path(parse, app, platform, "set")}/rules/{Uri.EscapeDataString(parse.GetValue(rule)!)}", body, parse.GetValue(rule)!, token);
        }));
        return command;
    }

    private static Command Toggle(CliContext cli, string verb, bool on)
    {
        var rule = new Argument<string>("rule") { Description = "A built-in or custom rule" };
        var app = AppOption.Optional($"Turn it {verb} for this app (with --env: that environment)");
        var platform = Platform();
        var command = new Command(verb, on ? "Turn a rule back on" : "Turn a rule off (its open alerts resolve)") { rule, app, platform, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() =>
            PutAsync(cli, parse, $"{Path(parse, app, platform, verb)}/rules/{Uri.EscapeDataString(parse.GetValue(rule)!)}", new AlertRuleBody(Enabled: on), parse.GetValue(rule)!, token)));
        return command;
    }

    private static Command Reset(CliContext cli)
    {
        var rule = new Argument<string>("rule") { Description = "The rule whose settings to forget at this level" };
        var app = AppOption.Optional("Forget what was set for this app (with --env: that environment)");
        var platform = Platform();
        var command = new Command("reset", "Forget what was set for a rule at this level (the manifest's, the platform's or the default settings apply again)")
        {
            rule, app, platform, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var view = await api.DeleteAsync<AlertsView>($"{Path(parse, app, platform, "reset")}/rules/{Uri.EscapeDataString(parse.GetValue(rule)!)}", token);
            cli.Print(parse, view, v => cli.Out.WriteLine($"{parse.GetValue(rule)}: settings of {Scope(v)} forgotten."));
            return 0;
        }));
        return command;
    }

    private static Command Add(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "A name for the rule, like slow-checkout" };
        var app = AppOption.Required();
        var metric = new Option<string>("--metric") { Description = "error-rate (5xx share), p50, p95, p99 (latency) or rpm (requests per minute)", Required = true };
        var over = new Option<string>("--over") { Description = "Fire above this: 2% for error-rate, 800ms for p95, 1000 for rpm" };
        var under = new Option<string>("--under") { Description = "Fire below this (rpm under 1: traffic stopped)" };
        var window = new Option<string>("--for") { Description = "The window the metric is measured over (default 5m)" };
        var minRequests = new Option<int?>("--min-requests") { Description = "Requests the window needs before it counts (default 20; none for rpm)" };
        var service = new Option<string>("--service") { Description = "Only this service's traffic" };
        var route = new Option<string>("--route") { Description = "Only this route's traffic (its pattern, like /checkout)" };
        var severity = new Option<string>("--severity") { Description = "warning (default) or critical" };
        var channels = new Option<string>("--channels") { Description = "Channels to notify, like ops,pager (default every channel)" };
        var command = new Command("add", "Add a rule of your own over an app's traffic (kept until removed; rules in slipway.json's \"alerts\" follow deploys instead)")
        {
            name, app, metric, over, under, window, minRequests, service, route, severity, channels, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var body = new AlertRuleBody(parse.GetValue(name), null, parse.GetValue(metric), parse.GetValue(over), parse.GetValue(under), parse.GetValue(window),
                parse.GetValue(minRequests), null, parse.GetValue(severity), Split(parse.GetValue(channels)), parse.GetValue(service), parse.GetValue(route));
            using var api = cli.Api(parse);
            var view = await api.PostAsync<AlertsView>($"v1/apps/{Uri.EscapeDataString(parse.GetValue(app)!)}/alerts/rules", body, token);
            cli.Print(parse, view, v =>
            {
                var added = v.Rules.First(r => r.Name == parse.GetValue(name));
                cli.Out.WriteLine($"Rule {added.Name} of {Scope(v)}: fires when {added.Description}.");
            });
            return 0;
        }));
        return command;
    }

    private static Command Remove(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "The custom rule to remove" };
        var app = AppOption.Required();
        var command = new Command("rm", "Remove a rule added with alerts add") { name, app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var view = await api.DeleteAsync<AlertsView>($"v1/apps/{Uri.EscapeDataString(parse.GetValue(app)!)}/alerts/rules/{Uri.EscapeDataString(parse.GetValue(name)!)}", token);
            cli.Print(parse, view, v => cli.Out.WriteLine($"Removed rule {parse.GetValue(name)} of {Scope(v)}."));
            return 0;
        }));
        return command;
    }

    private static async Task<int> PutAsync(CliContext cli, ParseResult parse, string path, AlertRuleBody body, string rule, CancellationToken token)
    {
        using var api = cli.Api(parse);
        var view = await api.SendAsync<AlertsView>(HttpMethod.Put, path, body, token);
        cli.Print(parse, view, v =>
        {
            var set = v.Rules.FirstOrDefault(r => r.Name == rule);
            cli.Out.WriteLine(set is null ? $"{rule} set for {Scope(v)}." : $"{rule} for {Scope(v)}: {(set.Enabled ? "on" : "off")}, {(set.Custom ? set.Description : Settings(set))}.");
        });
        return 0;
    }

    private static Option<bool> Platform() => new("--platform") { Description = "Platform-wide (every app that did not set it itself), instead of --app" };

    /// <summary>An app's rules (with --app) or the platform-wide ones (with --platform for a change; listing needs neither).</summary>
    private static string Path(ParseResult parse, Option<string> app, Option<bool>? platform, string verb) =>
        (parse.GetValue(app), platform is not null && parse.GetValue(platform)) switch
        {
            ({ } name, false) => $"v1/apps/{Uri.EscapeDataString(name)}/alerts",
            (null, true) => "v1/alerts",
            (not null, true) => throw new UserException("Give --app APP (that app's rules) or --platform (every app's), not both."),
            _ when platform is null => "v1/alerts",
            _ => throw new UserException($"For which scope? Give --app APP [--env ENV], or --platform for every app: slipway alerts {verb} RULE --app APP ..."),
        };

    private static string Settings(AlertRuleView r)
    {
        var parts = new List<string>();
        if (r.Over is not null) parts.Add($"over {r.Over}");
        if (r.For is { } window) parts.Add($"for {Durations.Format(window)}");
        if (r.MinRequests is { } min) parts.Add($"min {min} requests");
        if (r.Count is { } count) parts.Add($"count {count}");
        return parts.Count == 0 ? r.Description : $"{string.Join(", ", parts)} — {r.Description}";
    }

    /// <summary>"hook: firing sent, resolved sent; mail: firing failed": each channel's notices, in order.</summary>
    private static string Notified(AlertView alert) => alert.Deliveries is not { Count: > 0 } deliveries
        ? "-"
        : string.Join("; ", deliveries.GroupBy(d => d.Channel).Select(g =>
            $"{g.Key}: {string.Join(", ", g.Select(d => $"{JsonSpellings.Of(d.Kind)} {JsonSpellings.Of(d.State)}"))}"));

    private static string Scope(AlertsView v) => v.App is null ? "the platform" : v.Env == AppRef.Production ? v.App : $"{v.App} ({v.Env})";

    private static IReadOnlyList<string>? Split(string? list) =>
        list?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static TimeSpan Round(TimeSpan span) => TimeSpan.FromSeconds(Math.Max(0, Math.Round(span.TotalSeconds)));

    private static string Time(DateTimeOffset at) => at.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
