using System.CommandLine;
using Slipway.Api;
using Slipway.Manifests;
using Slipway.State;

namespace Slipway.Cli;

/// <summary>deploy, deployments, rollback, redeploy, restart, cancel, promote.</summary>
internal static class DeployCommands
{
    public static IEnumerable<Command> Create(CliContext cli)
    {
        yield return Deploy(cli);
        yield return Deployments(cli);
        yield return Rollback(cli);
        yield return Redeploy(cli);
        yield return Restart(cli);
        yield return Cancel(cli);
        yield return Promote(cli);
    }

    private static Command Promote(CliContext cli)
    {
        var app = AppOption.Required();
        var from = new Option<string>("--from") { Description = "The environment whose live build goes", Required = true };
        var to = new Option<string>("--to") { Description = "The environment it goes to", DefaultValueFactory = _ => "production" };
        var create = new Option<bool>("--create") { Description = "Create the --to environment if it does not exist yet" };
        var command = new Command("promote", "Deploy the exact build live in one environment to another, with the target's config (no rebuild)")
        {
            app, from, to, create, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = new ApiClient(CliContext.DataDir(parse));
            var deployment = await api.PostAsync<DeploymentDto>($"v1/apps/{parse.GetValue(app)}/promote",
                new PromoteBody(parse.GetValue(from)!, parse.GetValue(to)!, parse.GetValue(create)), token);
            return await FinishAsync(cli, api, deployment, false, parse.GetValue(CliContext.JsonOutput), token);
        }));
        return command;
    }

    private static Command Deploy(CliContext cli)
    {
        var source = new Argument<string>("source") { Description = "The app's source: a directory (default .) or a git URL", DefaultValueFactory = _ => "." };
        var app = AppOption.Optional("The app's name (default: the manifest's name, else the directory's name)");
        var gitRef = new Option<string>("--ref") { Description = "Branch, tag or commit to deploy from a git source" };
        var hosts = new Option<string[]>("--host") { Description = "Extra hostname for the app (repeatable), besides APP.localhost" };
        var noFollow = new Option<bool>("--no-follow") { Description = "Return once queued instead of streaming progress" };
        var command = new Command("deploy", "Build the source, run its release command, start it beside the live version and switch traffic when healthy")
        {
            source, app, gitRef, hosts, noFollow, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var src = parse.GetValue(source)!;
            var gitSource = Builds.SourceSnapshot.IsGitUrl(src);
            if (!gitSource)
            {
                src = Path.GetFullPath(src);
                if (!Directory.Exists(src))
                {
                    throw new UserException($"'{parse.GetValue(source)}' is not a directory. Give your app's source directory or a git URL.");
                }
            }
            var name = parse.GetValue(app) ?? DefaultAppName(src, gitSource);
            using var api = cli.Api(parse);
            DeploymentDto deployment;
            if (api.IsRemote && !gitSource)
            {
                // The platform is elsewhere: it gets the directory's snapshot, not its path.
                var (archive, commit) = await SourceUpload.PackAsync(src, token);
                try
                {
                    deployment = await SourceUpload.SendAsync(api, cli, name, archive, commit, parse.GetValue(hosts), token);
                }
                finally
                {
                    Directory.Delete(Path.GetDirectoryName(archive)!, recursive: true);
                }
            }
            else
            {
                deployment = await api.PostAsync<DeploymentDto>($"v1/apps/{name}/deployments",
                    new DeployBody(src, parse.GetValue(gitRef), parse.GetValue(hosts)), token);
            }
            return await FinishAsync(cli, api, deployment, parse.GetValue(noFollow), parse.GetValue(CliContext.JsonOutput), token);
        }));
        return command;
    }

    private static Command Rollback(CliContext cli)
    {
        var app = AppOption.Required();
        var to = new Option<string>("--to") { Description = "Deployment id or number to go back to (default: the one live before the current)" };
        var command = new Command("rollback", "Go back to the previous good deployment (code and config), through the health gate")
        {
            app, to, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var deployment = await api.PostAsync<DeploymentDto>($"v1/apps/{parse.GetValue(app)}/rollback", new RollbackBody(parse.GetValue(to)), token);
            return await FinishAsync(cli, api, deployment, false, parse.GetValue(CliContext.JsonOutput), token);
        }));
        return command;
    }

    private static Command Redeploy(CliContext cli)
    {
        var app = AppOption.Required();
        var from = new Option<string>("--from") { Description = "Deployment id or number whose source is built again (default: the live one)" };
        var noFollow = new Option<bool>("--no-follow") { Description = "Return once queued instead of streaming progress" };
        var command = new Command("redeploy", "Build the source a deployment was made from again (kept with its build) and deploy it with the current config")
        {
            app, from, noFollow, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var deployment = await api.PostAsync<DeploymentDto>($"v1/apps/{parse.GetValue(app)}/redeploy", new RedeployBody(parse.GetValue(from)), token);
            return await FinishAsync(cli, api, deployment, parse.GetValue(noFollow), parse.GetValue(CliContext.JsonOutput), token);
        }));
        return command;
    }

    private static Command Restart(CliContext cli)
    {
        var app = AppOption.Required();
        var command = new Command("restart", "Replace every instance of the live deployment with fresh ones, through the health gate") { app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var deployment = await api.PostAsync<DeploymentDto>($"v1/apps/{parse.GetValue(app)}/restart", null, token);
            return await FinishAsync(cli, api, deployment, false, parse.GetValue(CliContext.JsonOutput), token);
        }));
        return command;
    }

    private static Command Cancel(CliContext cli)
    {
        var app = AppOption.Required();
        var command = new Command("cancel", "Stop the app's running or queued deployment; the live version keeps serving") { app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var result = await api.PostAsync<CancelResult>($"v1/apps/{parse.GetValue(app)}/cancel", null, token);
            cli.Print(parse, result, r => cli.Out.WriteLine(r.Cancelled.Count == 0 ? "No deployment was running." : "Cancelled " + string.Join(", ", r.Cancelled)));
            return 0;
        }));
        return command;
    }

    private sealed record CancelResult(IReadOnlyList<string> Cancelled);

    private static Command Deployments(CliContext cli)
    {
        var app = AppOption.Required();
        var limit = new Option<int>("--limit") { Description = "How many to show", DefaultValueFactory = _ => 20 };
        var command = new Command("deployments", "The app's deployment history, newest first") { app, limit, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ShowAsync<List<DeploymentDto>>(parse,
            $"v1/apps/{parse.GetValue(app)}/deployments?limit={parse.GetValue(limit)}", list => cli.Table(["#", "id", "kind", "status", "by", "source", "commit", "author", "created", "duration"], list.Select(d => (IReadOnlyList<string>)
            [
                d.Number.ToString(System.Globalization.CultureInfo.InvariantCulture), d.Id,
                JsonSpellings.Of(d.Kind) + (d.RollbackOf is null ? "" : d.Kind switch
                {
                    DeploymentKind.Rollback => " to ",
                    DeploymentKind.Config => " on ",
                    _ => " of ",
                } + d.RollbackOf),
                JsonSpellings.Of(d.Status) + (d.FailedStep is null ? "" : $" ({d.FailedStep})"),
                d.RequestedBy is { } by ? Shorten(by, 24) : "-",
                Shorten(d.Source, 40), d.Commit is null ? "-" : Shorten(d.Commit + (d.CommitMessage is null ? "" : " " + d.CommitMessage), 50),
                d.CommitAuthor is { } author ? Shorten(author.Split(" <")[0], 24) : "-", d.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
                d.DurationSeconds is { } s ? $"{s:0.0}s" : "-",
            ])), token)));
        return command;
    }

    /// <summary>Streams a deployment's progress until it is live or failed; exit 0 only when live.</summary>
    public static async Task<int> FinishAsync(CliContext cli, ApiClient api, DeploymentDto deployment, bool noFollow, bool json, CancellationToken token)
    {
        if (noFollow)
        {
            if (json)
            {
                cli.WriteJson(deployment);
            }
            else
            {
                cli.Out.WriteLine($"{JsonSpellings.Of(deployment.Kind)} {deployment.Id} queued; follow it with 'slipway deployments --app {deployment.App}'");
            }
            return 0;
        }
        try
        {
            await foreach (var entry in api.StreamAsync($"v1/deployments/{deployment.Id}/log?follow=true", token))
            {
                if (json)
                {
                    continue;
                }
                var line = Slipway.Deploy.DeployLogLines.Format(entry.Kind, entry.Service, entry.Message);
                if (line is not null)
                {
                    await cli.Out.WriteLineAsync(cli.ForOutput(line));
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            await cli.Err.WriteLineAsync($"Stopped following. {deployment.Id} goes on in the background; 'slipway cancel --app {deployment.App}' stops it.");
            return 130;
        }
        var final = await api.GetAsync<DeploymentDto>($"v1/deployments/{deployment.Id}", token);
        if (json)
        {
            cli.WriteJson(final);
        }
        if (final.Status == DeploymentStatus.Live)
        {
            if (!json)
            {
                await cli.Out.WriteLineAsync($"{JsonSpellings.Of(final.Kind)} {final.Id} is live ({final.DurationSeconds:0.0}s)");
            }
            return 0;
        }
        if (!json)
        {
            await cli.Err.WriteLineAsync($"error: {JsonSpellings.Of(final.Kind)} {final.Id} {JsonSpellings.Of(final.Status)} at step '{final.FailedStep}': {final.Error}");
        }
        return 1;
    }

    internal static string DefaultAppName(string source, bool git)
    {
        if (!git && ManifestLoader.Load(source) is ManifestResult.Ok { Spec.Name: { } declared })
        {
            return declared;
        }
        var last = source.TrimEnd('/').Split('/').Last();
        if (last.EndsWith(".git", StringComparison.Ordinal))
        {
            last = last[..^4];
        }
        var name = new string(last.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        return name.Length > 0 && char.IsAsciiLetter(name[0]) ? name[..Math.Min(40, name.Length)]
            : throw new UserException($"Cannot make an app name from '{source}'. Give one with --app NAME.");
    }

    private static string Shorten(string s, int max) => s.Length <= max ? s : "…" + s[^(max - 1)..];
}
