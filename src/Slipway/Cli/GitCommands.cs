using System.CommandLine;
using Slipway.Api;

namespace Slipway.Cli;

/// <summary>git create | ls | rm | map | unmap: an app's git remote on the platform. `git push slipway main` then
/// deploys main's commit to production and prints the build as it runs; the branch moves only if it went live.</summary>
internal static class GitCommands
{
    public static Command Create(CliContext cli)
    {
        var git = new Command("git", "The app's git remote: git push deploys (main → production, staging → staging, or as mapped)");
        git.Subcommands.Add(CreateRemote(cli));
        git.Subcommands.Add(List(cli));
        git.Subcommands.Add(Remove(cli));
        git.Subcommands.Add(Map(cli));
        git.Subcommands.Add(Unmap(cli));
        return git;
    }

    private static Command CreateRemote(CliContext cli)
    {
        var app = new Argument<string>("app") { Description = "The app the remote deploys (it need not exist yet: the first push creates it)" };
        var force = new Option<bool>("--allow-force") { Description = "Let a force push replace a branch's history (off: a push must fast-forward)" };
        var command = new Command("create", "Create the app's git remote (again: change --allow-force)") { app, force, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var remote = await api.PostAsync<GitRemoteDto>($"v1/git/{parse.GetValue(app)}", new GitCreateBody(parse.GetValue(force)), token);
            cli.Print(parse, remote, r =>
            {
                cli.Out.WriteLine(r.Created == true ? $"Created the git remote of {r.App}." : $"{r.App}'s git remote: force pushes {(r.AllowForce ? "allowed" : "refused")}.");
                Describe(cli, r);
                cli.Out.WriteLine();
                cli.Out.WriteLine($"  git remote add slipway {r.Url}");
                cli.Out.WriteLine($"  git push slipway main");
                cli.Out.WriteLine();
                cli.Out.WriteLine("git asks for a user name (any) and a password: a token with the deployer role ('slipway tokens create').");
            });
            return 0;
        }));
        return command;
    }

    private static Command List(CliContext cli)
    {
        var command = new Command("ls", "List the git remotes, with the branches each deploys") { CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<GitRemoteDto>(parse, "v1/git",
            "No git remotes. Create one: slipway git create APP",
            list => cli.Table(["app", "branches", "force push", "url"], list.Select(r => (IReadOnlyList<string>)
                [r.App, Branches(r), r.AllowForce ? "allowed" : "refused", r.Url])), token)));
        return command;
    }

    private static Command Remove(CliContext cli)
    {
        var app = new Argument<string>("app") { Description = "The app whose remote and repository go (the app keeps running)" };
        var command = new Command("rm", "Remove the app's git remote and its repository") { app };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            await api.DeleteAsync<object>($"v1/git/{parse.GetValue(app)}", token);
            cli.Out.WriteLine($"Removed the git remote of {parse.GetValue(app)}; the app keeps running.");
            return 0;
        }));
        return command;
    }

    private static Command Map(CliContext cli)
    {
        var app = AppOption.Required();
        var branch = new Argument<string>("branch") { Description = "A branch (release) or a prefix ending in * (release/*)" };
        var env = new Argument<string>("env") { Description = "The environment a push of it deploys to (created by the first push)" };
        var command = new Command("map", "Deploy pushes of a branch to an environment") { branch, env, app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var remote = await api.SendAsync<GitRemoteDto>(HttpMethod.Put, $"v1/git/{parse.GetValue(app)}/branches",
                new GitMapBody(parse.GetValue(branch)!, parse.GetValue(env)!), token);
            cli.Print(parse, remote, r => Describe(cli, r));
            return 0;
        }));
        return command;
    }

    private static Command Unmap(CliContext cli)
    {
        var app = AppOption.Required();
        var branch = new Argument<string>("branch") { Description = "The branch or pattern that should deploy no more" };
        var command = new Command("unmap", "Stop deploying pushes of a branch (a push of it is then refused)") { branch, app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var remote = await api.DeleteAsync<GitRemoteDto>($"v1/git/{parse.GetValue(app)}/branches?branch={Uri.EscapeDataString(parse.GetValue(branch)!)}", token);
            cli.Print(parse, remote, r => Describe(cli, r));
            return 0;
        }));
        return command;
    }

    private static void Describe(CliContext cli, GitRemoteDto remote) =>
        cli.Out.WriteLine($"{remote.App}: {Branches(remote)}");

    private static string Branches(GitRemoteDto remote) =>
        remote.Branches.Count == 0 ? "no branch deploys" : string.Join(", ", remote.Branches.Select(b => $"{b.Branch} → {b.Env}"));
}
