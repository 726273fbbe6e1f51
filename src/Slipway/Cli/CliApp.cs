using System.CommandLine;

namespace Slipway.Cli;

/// <summary>The `slipway` command line. The CLI is thin: every command but `server` talks to a running
/// platform over its API.</summary>
internal static class CliApp
{
    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, Console.Error);

    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        RunAsync(args, output, error, null, cancellationToken);

    /// <summary>As a process would run the command, with <paramref name="input"/> as its standard input when given.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, TextReader? input, CancellationToken cancellationToken)
    {
        // Errors of a --json command are JSON too (a script parses one shape, whatever happened).
        var cli = new CliContext(output, error) { JsonErrors = args.Contains("--json"), In = input ?? Console.In };
        var root = new RootCommand("Slipway: build, deploy, run and roll back apps on a machine you own.")
        {
            CliContext.Data,
            CliContext.Environment,
        };
        foreach (var command in PlatformCommands.Create(cli).Concat(SupervisionCommands.Create(cli)).Concat(DeployCommands.Create(cli)).Concat(AppCommands.Create(cli)))
        {
            root.Subcommands.Add(command);
        }
        root.Subcommands.Add(EnvCommands.Create(cli));
        root.Subcommands.Add(KeyCommands.Create(cli));
        root.Subcommands.Add(StorageCommands.Create(cli));
        root.Subcommands.Add(RestorePlatformCommand.Create(cli));
        root.Subcommands.Add(ManifestCommands.Create(cli));
        root.Subcommands.Add(MetricsCommands.Create(cli));
        root.Subcommands.Add(DrainCommands.Create(cli));
        root.Subcommands.Add(AlertCommands.Create(cli, ChannelCommands.TestCommand(cli)));
        root.Subcommands.Add(UptimeCommands.Create(cli));
        root.Subcommands.Add(StatusPageCommands.Create(cli));
        root.Subcommands.Add(ChannelCommands.Create(cli));
        root.Subcommands.Add(CertCommands.Create(cli));
        root.Subcommands.Add(CaCommands.Create(cli));
        root.Subcommands.Add(HostCommands.Create(cli));
        foreach (var command in DomainCommands.Create(cli))
        {
            root.Subcommands.Add(command);
        }
        root.Subcommands.Add(VolumeCommands.Create(cli));
        root.Subcommands.Add(GitCommands.Create(cli));
        root.Subcommands.Add(PreviewCommands.Create(cli));
        root.Subcommands.Add(CronCommands.Create(cli));
        root.Subcommands.Add(MessageCommands.Create(cli));
        root.Subcommands.Add(ErrorCommands.Create(cli));
        root.Subcommands.Add(DbCommands.Create(cli));
        root.Subcommands.Add(DoctorCommand.Create(cli));
        root.Subcommands.Add(EventCommands.Create(cli));
        foreach (var command in AccessCommands.Create(cli))
        {
            root.Subcommands.Add(command);
        }
        foreach (var command in InstallCommands.Create(cli))
        {
            root.Subcommands.Add(command);
        }
        var parse = root.Parse(args);
        if (parse.Action is System.CommandLine.Invocation.ParseErrorAction && cli.JsonErrors)
        {
            // A script asked for JSON: the mistake is JSON too, on standard output like every other --json error.
            var command = string.Join(' ', parse.CommandResult.Command is var c && c != root ? Path(c) : []);
            cli.WriteJson(new
            {
                error = string.Join(" ", parse.Errors.Select(e => e.Message)) + $" Run './slipway {(command.Length > 0 ? command + " " : "")}--help' for usage.",
                status = 400,
            });
            return 1;
        }
        if (parse.Action is System.CommandLine.Invocation.ParseErrorAction mistake)
        {
            // A typo gets the error and the suggestion, not pages of help.
            mistake.ShowHelp = false;
            // The suggestion goes with the error, to standard error: standard output stays for what scripts read.
            var code = await parse.InvokeAsync(new InvocationConfiguration { Output = error, Error = error }, cancellationToken);
            var command = string.Join(' ', parse.CommandResult.Command is var c && c != root ? Path(c) : []);
            await error.WriteLineAsync($"Run './slipway {(command.Length > 0 ? command + " " : "")}--help' for usage.");
            return code == 0 ? 1 : code;
        }
        return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }

    private static IEnumerable<string> Path(Command command)
    {
        var names = new List<string>();
        for (var c = command; c is not null and not RootCommand; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Insert(0, c.Name);
        }
        return names;
    }
}
