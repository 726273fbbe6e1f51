using System.CommandLine;
using Slipway.Api;

namespace Slipway.Cli;

/// <summary>hosts ls | add | rm: the hostnames an app environment answers. Deploys only add them (--host), so a
/// CI pipeline that leaves --host out never takes a custom domain offline; one goes only with `hosts rm`.</summary>
internal static class HostCommands
{
    public static Command Create(CliContext cli)
    {
        var hosts = new Command("hosts", "The hostnames an app answers: APP.localhost and the ones added. Deploys only add (--host); 'hosts rm' removes one");
        hosts.Subcommands.Add(List(cli));
        hosts.Subcommands.Add(Add(cli));
        hosts.Subcommands.Add(Remove(cli));
        return hosts;
    }

    private static Command List(CliContext cli)
    {
        var app = AppOption.Required();
        var command = new Command("ls", "List the app's hostnames with their URLs") { app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<HostDto>(parse, $"v1/apps/{parse.GetValue(app)}/hosts", "No hostnames.",
            list => cli.Table(["host", "url", "kind"], list.Select(h => (IReadOnlyList<string>)[h.Host, h.Url, h.Default ? "default" : "added"])), token)));
        return command;
    }

    private static Command Add(CliContext cli)
    {
        var app = AppOption.Required();
        var names = new Argument<string[]>("host") { Description = "Hostname(s) to add, like shop.example.com", Arity = ArgumentArity.OneOrMore };
        var command = new Command("add", "Add hostnames to the app; the edge routes them at once (a hostname belongs to one app)") { app, names, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var hosts = await api.PostAsync<List<HostDto>>($"v1/apps/{parse.GetValue(app)}/hosts", new HostsBody(parse.GetValue(names)!), token);
            cli.Print(parse, hosts, list => cli.Out.WriteLine($"{parse.GetValue(app)} answers {string.Join(", ", list.Select(h => h.Host))}"));
            return 0;
        }));
        return command;
    }

    private static Command Remove(CliContext cli)
    {
        var app = AppOption.Required();
        var name = new Argument<string>("host") { Description = "The hostname to remove (from 'slipway hosts ls')" };
        var command = new Command("rm", "Remove a hostname from the app; the edge stops routing it at once") { app, name, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var host = parse.GetValue(name)!;
            var hosts = await api.DeleteAsync<List<HostDto>>($"v1/apps/{parse.GetValue(app)}/hosts/{Uri.EscapeDataString(host)}", token);
            cli.Print(parse, hosts, list => cli.Out.WriteLine($"Removed {host}: the edge no longer routes it. {parse.GetValue(app)} answers {string.Join(", ", list.Select(h => h.Host))}"));
            return 0;
        }));
        return command;
    }
}
