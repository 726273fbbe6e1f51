using System.CommandLine;
using System.Globalization;
using Slipway.Api;
using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Channels;

namespace Slipway.Cli;

/// <summary>slipway channels add | ls | rm: where alert notices go (a signed webhook, Slack, Discord, e-mail); and
/// `alerts test CHANNEL` (<see cref="TestCommand"/>), which the alerts command group carries.</summary>
internal static class ChannelCommands
{
    public static Command Create(CliContext cli)
    {
        var channels = new Command("channels", "Where alert notices go: a signed JSON webhook, Slack- or Discord-compatible webhooks, e-mail over SMTP");
        channels.Subcommands.Add(Add(cli));
        channels.Subcommands.Add(List(cli));
        channels.Subcommands.Add(Remove(cli));
        return channels;
    }

    /// <summary>`alerts test CHANNEL`: one test notice through the channel now; exit 1 when it did not get through.</summary>
    public static Command TestCommand(CliContext cli)
    {
        var name = new Argument<string>("channel") { Description = "The channel to try (slipway channels ls lists them)" };
        var command = new Command("test", "Send a test notice through a channel now (one attempt, no rate limit) and say how it went") { name, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var result = await api.PostAsync<ChannelTestResult>($"v1/alerts/channels/{Uri.EscapeDataString(parse.GetValue(name)!)}/test", null, token);
            var where = $"{result.Channel} ({JsonSpellings.Of(result.Kind)} {result.Destination})";
            cli.Print(parse, result, r =>
            {
                if (r.Delivered)
                {
                    cli.Out.WriteLine($"delivered to {where} in {r.Milliseconds} ms");
                }
                else
                {
                    cli.Err.WriteLine($"error: not delivered to {where}: {r.Error}");
                }
            });
            return result.Delivered ? 0 : 1;
        }));
        return command;
    }

    private static Command Add(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "A name for the channel, like ops or team-chat" };
        var webhook = new Option<string>("--webhook") { Description = "https://HOST/PATH: each notice POSTed as JSON, signed (Slipway-Signature)" };
        var slack = new Option<string>("--slack") { Description = "A Slack incoming webhook URL (Mattermost and Rocket.Chat take the same)" };
        var discord = new Option<string>("--discord") { Description = "A Discord webhook URL" };
        var email = new Option<string>("--email") { Description = "Recipients, separated by commas (with --smtp)" };
        var smtp = new Option<string>("--smtp") { Description = "smtp://[USER@]HOST:PORT (STARTTLS when offered; required with a password over the network) or smtps://[USER@]HOST:PORT (TLS)" };
        var from = new Option<string>("--from") { Description = "The sender's address (default: slipway@PLATFORM-HOST)" };
        var secretStdin = new Option<bool>("--secret-stdin") { Description = "Read the webhook's signing secret from standard input (default: Slipway makes one and prints it once)" };
        var passwordStdin = new Option<bool>("--smtp-password-stdin") { Description = "Read the SMTP user's password from standard input" };
        var severity = new Option<string>("--severity") { Description = "The least severity it takes: warning (every alert, the default) or critical" };
        var apps = new Option<string>("--apps") { Description = "Only these apps' alerts (every environment of each), like shop,billing (default: every app's and the platform's)" };
        var command = new Command("add", "Send alert notices to a new channel; its URL, signing secret and SMTP password are kept encrypted and never shown again")
        {
            name, webhook, slack, discord, email, smtp, from, secretStdin, passwordStdin, severity, apps, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var fromStdin = parse.GetValue(secretStdin) || parse.GetValue(passwordStdin) ? ReadStdin(cli, parse.GetValue(secretStdin) ? "--secret-stdin" : "--smtp-password-stdin") : null;
            using var api = cli.Api(parse);
            var body = new ChannelAddBody(parse.GetValue(name), parse.GetValue(webhook), parse.GetValue(slack), parse.GetValue(discord), parse.GetValue(email),
                parse.GetValue(smtp), parse.GetValue(from), parse.GetValue(secretStdin) ? fromStdin : null, parse.GetValue(passwordStdin) ? fromStdin : null,
                parse.GetValue(severity), parse.GetValue(apps)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            var added = await api.PostAsync<ChannelAdded>("v1/alerts/channels", body, token);
            cli.Print(parse, added, a =>
            {
                var c = a.Channel;
                cli.Out.WriteLine($"Channel {c.Name} sends {Takes(c)} to {JsonSpellings.Of(c.Kind)} {c.Destination}.");
                if (a.SigningSecret is { } secret)
                {
                    cli.Out.WriteLine($"Signing secret (shown once; check each request's Slipway-Signature header with it): {secret}");
                }
                cli.Out.WriteLine($"Try it: slipway alerts test {c.Name}");
            });
            return 0;
        }));
        return command;
    }

    private static Command List(CliContext cli)
    {
        var command = new Command("ls", "Channels with where they send (masked), what they take, state, counts and last error") { CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<ChannelView>(parse, "v1/alerts/channels",
            "No alert channels. Add one: slipway channels add NAME --webhook URL (or --slack URL, --discord URL, --email ADDRESSES --smtp smtp://HOST:PORT)",
            channels =>
            {
                cli.Table(["name", "kind", "destination", "takes", "state", "delivered", "failed", "suppressed", "pending", "last delivery"],
                    channels.Select(c => (IReadOnlyList<string>)
                    [
                        c.Name, JsonSpellings.Of(c.Kind), c.Destination, Takes(c), JsonSpellings.Of(c.State), Count(c.Delivered), Count(c.Failed),
                        Count(c.Suppressed), Count(c.Pending), Time(c.LastDeliveredAt),
                    ]));
                foreach (var failing in channels.Where(c => c.State == ChannelState.Failing))
                {
                    cli.Err.WriteLine($"warning: channel {failing.Name} is failing since {Time(failing.LastErrorAt)}: {failing.LastError}");
                }
            }, token)));
        return command;
    }

    private static Command Remove(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "The channel to remove" };
        var command = new Command("rm", "Remove a channel at once (notices it had not sent yet are recorded as failed)") { name, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var channel = await api.DeleteAsync<ChannelView>($"v1/alerts/channels/{Uri.EscapeDataString(parse.GetValue(name)!)}", token);
            cli.Print(parse, channel, c => cli.Out.WriteLine($"Removed channel {c.Name}: alerts no longer go to {c.Destination}."));
            return 0;
        }));
        return command;
    }

    private static string ReadStdin(CliContext cli, string flag) =>
        cli.In.ReadLine()?.TrimEnd('\r') ?? throw new UserException($"{flag}: standard input was empty; pipe the value in, like: printf %s \"$VALUE\" | slipway channels add ...");

    /// <summary>"every alert of every app", "critical alerts of shop, billing".</summary>
    private static string Takes(ChannelView c) =>
        (c.Severity == AlertSeverity.Critical ? "critical alerts" : "every alert") + (c.Apps.Count == 0 ? " of every app and the platform" : " of " + string.Join(", ", c.Apps));

    private static string Time(DateTimeOffset? at) => at?.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? "-";

    private static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
