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
        previews.Subcommands.Add(Approve(cli));
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

    private static Command Approve(CliContext cli)
    {
        var app = AppOption.Required();
        var number = new Argument<long>("number") { Description = "The fork's pull request whose head you have read" };
        var sha = new Option<string?>("--sha") { Description = "The commit you read, at least 12 hex digits (refused if the fork has pushed another since)", Required = true };
        var command = new Command("approve", "Run a fork's pull request as a preview (its code runs on this machine: read it first)") { number, app, sha, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var query = parse.GetValue(sha) is { } s ? "?sha=" + Uri.EscapeDataString(s) : "";
            var preview = await api.PostAsync<GitPreviewDto>($"v1/git/{parse.GetValue(app)}/previews/{parse.GetValue(number)}/approve{query}", null, token);
            cli.Print(parse, preview, p => cli.Out.WriteLine($"Approved #{p.Number} at {p.Commit}: deploying its preview {p.Env} ({p.Urls.FirstOrDefault()}); " +
                $"'slipway previews ls --app {parse.GetValue(app)}' follows it."));
            return 0;
        }));
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
