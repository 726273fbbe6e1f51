using System.CommandLine;

namespace Slipway.Cli;

/// <summary>The `slipway` command line. The CLI is thin: every command but `server` talks to a running
/// platform over its API.</summary>
internal static class CliApp
{
    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, Console.Error);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var cli = new CliContext(output, error);
        var root = new RootCommand("Slipway: build, deploy, run and roll back apps on a machine you own.")
        {
            CliContext.Data,
            CliContext.Environment,
        };
        foreach (var command in PlatformCommands.Create(cli).Concat(DeployCommands.Create(cli)).Concat(AppCommands.Create(cli)))
        {
            root.Subcommands.Add(command);
        }
        root.Subcommands.Add(EnvCommands.Create(cli));
        root.Subcommands.Add(KeyCommands.Create(cli));
        root.Subcommands.Add(ManifestCommands.Create(cli));
        root.Subcommands.Add(MetricsCommands.Create(cli));
        root.Subcommands.Add(CertCommands.Create(cli));
        root.Subcommands.Add(HostCommands.Create(cli));
        root.Subcommands.Add(CronCommands.Create(cli));
        root.Subcommands.Add(MessageCommands.Create(cli));
        root.Subcommands.Add(DbCommands.Create(cli));
        root.Subcommands.Add(DoctorCommand.Create(cli));
        var parse = root.Parse(args);
        return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }
}
