using System.CommandLine;
using Slipway.Jobs;

namespace Slipway.Cli;

/// <summary>slipway messages ls | retry ID: delayed messages an app published, and resending dead ones.</summary>
internal static class MessageCommands
{
    public static Command Create(CliContext cli)
    {
        var messages = new Command("messages", "Delayed and retried messages an app published ($SLIPWAY_MESSAGES_URL)");
        messages.Subcommands.Add(List(cli));
        messages.Subcommands.Add(Retry(cli));
        return messages;
    }

    private static Command List(CliContext cli)
    {
        var app = AppOption.Required();
        var status = new Option<string>("--status") { Description = "Only pending, delivered or dead" };
        var limit = new Option<int>("--limit") { Description = "How many, newest first", DefaultValueFactory = _ => 50 };
        var command = new Command("ls", "Pending, delivered and dead messages, newest first") { app, status, limit, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() =>
        {
            var filter = parse.GetValue(status) is { } s ? $"&status={Uri.EscapeDataString(s)}" : "";
            return cli.ListAsync<MessageView>(parse, $"v1/apps/{parse.GetValue(app)}/messages?limit={parse.GetValue(limit)}{filter}",
                "No messages. Apps publish them with POST $SLIPWAY_MESSAGES_URL (see README: Cron jobs and messages).",
                list => cli.Table(["id", "status", "target", "not before", "attempts", "last result"], list.Select(m => (IReadOnlyList<string>)
                [
                    m.Id, m.Status, $"{m.Method} {m.Target}", m.NotBefore, $"{m.Attempts}/{m.Retries + 1}",
                    m.LastError ?? (m.LastStatus is { } code ? code.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-"),
                ])), token);
        }));
        return command;
    }

    private static Command Retry(CliContext cli)
    {
        var app = AppOption.Required();
        var id = new Argument<string>("id") { Description = "A dead message's id (from 'slipway messages ls --status dead')" };
        var command = new Command("retry", "Send a dead message again, with a fresh set of attempts") { id, app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var message = await api.PostAsync<MessageView>($"v1/apps/{parse.GetValue(app)}/messages/{Uri.EscapeDataString(parse.GetValue(id)!)}/retry", null, token);
            cli.Print(parse, message, m => cli.Out.WriteLine($"{m.Id} is pending again: up to {m.Retries + 1} attempt(s) to {m.Method} {m.Target}"));
            return 0;
        }));
        return command;
    }
}
