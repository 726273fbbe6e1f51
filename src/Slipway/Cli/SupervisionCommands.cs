using System.CommandLine;

namespace Slipway.Cli;

/// <summary>launcher (hidden: what `up` leaves running).</summary>
internal static class SupervisionCommands
{
    public static IEnumerable<Command> Create(CliContext cli)
    {
        yield return LauncherCommand(cli);
    }

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
