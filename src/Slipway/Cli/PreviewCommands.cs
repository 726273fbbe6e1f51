using System.CommandLine;
using System.Globalization;
using Slipway.Api;

namespace Slipway.Cli;

/// <summary>previews ls | rm: the preview environments (pr-N) the app's pull requests made. They come and go with the
/// pull requests (`slipway git previews APP --on` turns them on); `rm` removes one now.</summary>
internal static class PreviewCommands
{
    public static Command Create(CliContext cli)
    {
        var previews = new Command("previews", "Preview environments of pull requests (pr-N): slipway git previews APP --on turns them on");
        previews.Subcommands.Add(List(cli));
        previews.Subcommands.Add(Remove(cli));
        return previews;
    }

    private static Command List(CliContext cli)
    {
        var app = AppOption.Required();
        var command = new Command("ls", "The app's previews: pull request, commit, status, URL") { app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<GitPreviewDto>(parse, $"v1/git/{parse.GetValue(app)}/previews",
            "No previews. Open a pull request (with previews on: slipway git previews APP --on).",
            list => cli.Table(["#", "env", "branch", "commit", "status", "url", "title"], list.Select(p => (IReadOnlyList<string>)
                [p.Number.ToString(CultureInfo.InvariantCulture), p.Env, p.Branch, p.Commit, p.Status + (p.Error is null ? "" : $" ({p.Error})"),
                    p.Urls.FirstOrDefault() ?? "-", p.Title ?? ""])), token)));
        return command;
    }

    private static Command Remove(CliContext cli)
    {
        var app = AppOption.Required();
        var number = new Argument<long>("number") { Description = "The pull request whose preview goes (its instances, databases and config)" };
        var command = new Command("rm", "Remove a preview now (the pull request's next update makes it again)") { number, app };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            await api.DeleteAsync<object>($"v1/git/{parse.GetValue(app)}/previews/{parse.GetValue(number)}", token);
            cli.Out.WriteLine($"Removed the preview of #{parse.GetValue(number)} of {parse.GetValue(app)}.");
            return 0;
        }));
        return command;
    }
}
