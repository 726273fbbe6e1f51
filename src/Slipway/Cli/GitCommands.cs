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
        git.Subcommands.Add(Connect(cli));
        git.Subcommands.Add(Disconnect(cli));
        git.Subcommands.Add(Deliveries(cli));
        git.Subcommands.Add(PreviewSettings(cli));
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
            list => cli.Table(["app", "branches", "force push", "url", "forge"], list.Select(r => (IReadOnlyList<string>)
                [r.App, Branches(r), r.AllowForce ? "allowed" : "refused", r.Url, r.Repo is null ? "-" : $"{r.Forge} {r.Repo}"])), token)));
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

    private static Command Connect(CliContext cli)
    {
        var app = new Argument<string>("app") { Description = "The app whose remote the forge's pushes deploy (its branch rules apply)" };
        var forge = new Option<string>("--forge") { Description = "github, gitlab or gitea (Forgejo too)", Required = true };
        var repo = new Option<string>("--repo") { Description = "The repository's HTTPS clone URL, like https://github.com/acme/shop.git", Required = true };
        var apiUrl = new Option<string?>("--api-url") { Description = "The forge's API base when self-hosted (GitHub Enterprise https://HOST/api/v3, GitLab https://HOST/api/v4, Gitea https://HOST/api/v1)" };
        var tokenStdin = new Option<bool>("--token-stdin") { Description = "Read the repository's access token from standard input: it reads a private repository, and posts commit statuses and the previews' comments (GitHub: contents read, commit statuses and pull requests write; GitLab: api scope; Gitea: repository write)" };
        var command = new Command("connect", "Deploy on pushes a forge reports by webhook (GitHub, GitLab, Gitea): prints the webhook's URL and secret")
        {
            app, forge, repo, apiUrl, tokenStdin, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var accessToken = parse.GetValue(tokenStdin)
                ? cli.In.ReadLine()?.Trim() is { Length: > 0 } read ? read : throw new UserException("--token-stdin: standard input was empty; pipe the token in, like: printf %s \"$TOKEN\" | slipway git connect ...")
                : null;
            using var api = cli.Api(parse);
            var connected = await api.PostAsync<GitConnectedDto>($"v1/git/{parse.GetValue(app)}/forge",
                new GitConnectBody(parse.GetValue(forge)!, parse.GetValue(repo)!, parse.GetValue(apiUrl), accessToken), token);
            cli.Print(parse, connected, c =>
            {
                cli.Out.WriteLine($"{c.App} deploys on pushes to {c.Repo}" + (c.HasToken
                    ? " (read with the token given, which also posts each deployed commit's status and the previews' comments)."
                    : " (a public repository: no token, so no commit statuses or comments are posted)."));
                cli.Out.WriteLine("Add a webhook in the repository's settings:");
                cli.Out.WriteLine($"  URL:          {c.WebhookUrl}");
                cli.Out.WriteLine($"  secret:       {c.Secret}");
                cli.Out.WriteLine("  content type: application/json; events: push, and pull requests for previews" +
                    (c.Forge == "gitlab" ? " (GitLab: the secret is the webhook's token)" : ""));
                cli.Out.WriteLine("The secret is shown this once: 'slipway git connect' again makes a new one.");
            });
            return 0;
        }));
        return command;
    }

    private static Command Disconnect(CliContext cli)
    {
        var app = new Argument<string>("app") { Description = "The app whose remote stops taking webhooks" };
        var command = new Command("disconnect", "Stop deploying on the forge's webhooks (forgets the secret and token; git push still works)") { app };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            await api.DeleteAsync<object>($"v1/git/{parse.GetValue(app)}/forge", token);
            cli.Out.WriteLine($"{parse.GetValue(app)} takes no more webhooks; remove the webhook from the repository's settings too.");
            return 0;
        }));
        return command;
    }

    private static Command Deliveries(CliContext cli)
    {
        var app = new Argument<string>("app") { Description = "The app whose webhook deliveries to list" };
        var limit = new Option<int>("--limit") { Description = "How many, newest first", DefaultValueFactory = _ => 20 };
        var command = new Command("deliveries", "The forge's webhook deliveries and what became of each (deployed, queued, done, ignored, refused, failed...)") { app, limit, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<GitDeliveryDto>(parse, $"v1/git/{parse.GetValue(app)}/deliveries?limit={parse.GetValue(limit)}",
            "No deliveries yet: push to the repository, or use the forge's \"test\" or \"redeliver\" button.",
            list => cli.Table(["received", "event", "outcome", "deployment", "detail"], list.Select(d => (IReadOnlyList<string>)
                [UtcTime.Format(d.ReceivedAt), d.Event ?? "-", d.Outcome, d.DeploymentId ?? "-", d.Detail ?? ""])), token)));
        return command;
    }

    private static Command PreviewSettings(CliContext cli)
    {
        var app = new Argument<string>("app") { Description = "The app whose pull requests get previews" };
        var on = new Option<bool>("--on") { Description = "Each pull request gets a preview environment pr-N (config from the 'preview' environment)" };
        var off = new Option<bool>("--off") { Description = "No more new previews (the existing ones go when their pull requests close)" };
        var ttl = new Option<string?>("--ttl") { Description = "Remove a preview after this long without a change (default 7d)" };
        var dbFrom = new Option<string?>("--db-from") { Description = "The environment whose postgres databases a new preview's are branched from (default staging)" };
        var withData = new Option<bool?>("--with-data") { Description = "Branch them with their rows (default: schema only; a fork's preview never gets rows)" };
        var forkSecrets = new Option<bool?>("--fork-secrets") { Description = "Give an approved fork's preview the config's secrets too (default: none)" };
        var domain = new Option<string?>("--domain")
        {
            Description = "Previews also answer pr-N.APP.DOMAIN, each with its own certificate: point a wildcard DNS record *.APP.DOMAIN at this machine",
        };
        var noDomain = new Option<bool>("--no-domain") { Description = "Previews answer APP-pr-N.localhost only" };
        var crons = new Option<bool?>("--crons") { Description = "Previews' crons fire on their schedule (default: off; 'slipway cron run' runs one by hand)" };
        var command = new Command("previews", "Turn preview environments of pull requests on or off (needs 'slipway git connect')")
        {
            app, on, off, ttl, dbFrom, withData, forkSecrets, domain, noDomain, crons, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            if (parse.GetValue(on) == parse.GetValue(off))
            {
                throw new UserException("Give --on or --off.");
            }
            using var api = cli.Api(parse);
            var settings = await api.SendAsync<GitPreviewSettingsDto>(HttpMethod.Put, $"v1/git/{parse.GetValue(app)}/previews",
                new GitPreviewsBody(parse.GetValue(on), parse.GetValue(ttl), parse.GetValue(dbFrom), parse.GetValue(withData), parse.GetValue(forkSecrets),
                    parse.GetValue(noDomain) ? "" : parse.GetValue(domain), parse.GetValue(crons)), token);
            cli.Print(parse, settings, s => cli.Out.WriteLine(s.On
                ? $"Pull requests of {s.App} get previews (pr-N, removed when closed or after {s.Ttl} without a change; databases branched from " +
                  $"{s.DatabasesFrom}, {(s.WithData ? "with data" : "schema only")}; crons {(s.Crons ? "on" : "off")}; at " +
                  (s.Domain is null ? $"{s.App}-pr-N.localhost). " : $"https://pr-N.{s.App}.{s.Domain}: point *.{s.App}.{s.Domain} at this machine). ") +
                  $"Their config starts as the 'preview' environment's: slipway env set --app {s.App} --env preview KEY=VALUE"
                : $"Pull requests of {s.App} get no new previews."));
            return 0;
        }));
        return command;
    }

    private static void Describe(CliContext cli, GitRemoteDto remote) =>
        cli.Out.WriteLine($"{remote.App}: {Branches(remote)}");

    private static string Branches(GitRemoteDto remote) =>
        remote.Branches.Count == 0 ? "no branch deploys" : string.Join(", ", remote.Branches.Select(b => $"{b.Branch} → {b.Env}"));
}
