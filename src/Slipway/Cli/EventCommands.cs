using System.CommandLine;
using Slipway.Api;

namespace Slipway.Cli;

/// <summary>slipway events: what happened to the platform itself (an app's own events are in `slipway status APP`).</summary>
internal static class EventCommands
{
    public static Command Create(CliContext cli)
    {
        var command = new Command("events",
            "The platform's own events, newest first: database servers crashing and restarting, WAL archiving failing, off-site copies failing. An app's are in 'slipway status APP'")
        {
            CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<EventDto>(parse, "v1/events", "No platform events.",
            list => cli.Table(["at", "kind", "message"], list.Select(e => (IReadOnlyList<string>)[UtcTime.Format(e.At), e.Kind, e.Message])), token)));
        return command;
    }
}
