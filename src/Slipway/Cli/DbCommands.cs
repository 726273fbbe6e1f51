using System.CommandLine;
using System.Diagnostics;
using Slipway.Api;
using Slipway.Databases;

namespace Slipway.Cli;

/// <summary>slipway db create | ls | url | psql | backup | backups | verify | restore | branch | server add.</summary>
internal static class DbCommands
{
    public static Command Create(CliContext cli)
    {
        var db = new Command("db", "An app's databases: managed PostgreSQL (verified backups, restore, branching) and Redis");
        db.Subcommands.Add(CreateDb(cli));
        db.Subcommands.Add(List(cli));
        db.Subcommands.Add(Url(cli));
        db.Subcommands.Add(Psql(cli));
        db.Subcommands.Add(Backup(cli));
        db.Subcommands.Add(Backups(cli));
        db.Subcommands.Add(Verify(cli));
        db.Subcommands.Add(Restore(cli));
        db.Subcommands.Add(Attach(cli));
        db.Subcommands.Add(Branch(cli));
        db.Subcommands.Add(Server(cli));
        return db;
    }

    private static Option<string> NameOption() => new("--name") { Description = "The database (the key under \"databases\" in slipway.json)", DefaultValueFactory = _ => "main" };

    private static Command CreateDb(CliContext cli)
    {
        var app = AppOption.Required();
        var name = new Option<string>("--name") { Description = "Its name (default main, or cache for redis)" };
        var type = new Option<string>("--type") { Description = "postgres (default) or redis", DefaultValueFactory = _ => "postgres" };
        var variable = new Option<string>("--var") { Description = "The config var for its URL (default DATABASE_URL, REDIS_URL for redis)" };
        var server = new Option<string>("--server") { Description = "A server added with 'slipway db server add' (default: the managed cluster)" };
        var schedule = new Option<string>("--schedule") { Description = "Backup schedule, cron in UTC (default \"0 3 * * *\")" };
        var create = new Option<bool>("--create") { Description = "Create the app (or --env environment) if nobody deployed it yet" };
        var command = new Command("create", "Give the environment its own database and role, and its URL as a secret config var")
        {
            app, name, type, variable, server, schedule, create, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var created = await api.PostAsync<DatabaseCreatedDto>($"v1/apps/{parse.GetValue(app)}/databases",
                new DatabaseCreateBody(parse.GetValue(name), parse.GetValue(type), parse.GetValue(variable), parse.GetValue(server), null, parse.GetValue(schedule), parse.GetValue(create)), token);
            return await FinishAsync(cli, api, parse.GetValue(CliContext.JsonOutput), created, created.Deployment,
                $"Database {created.Database.Name} ({created.Database.Type}) is ready; its URL is the secret config var {created.Database.Var}.", token);
        }));
        return command;
    }

    private static Command List(CliContext cli)
    {
        var app = AppOption.Required();
        var command = new Command("ls", "List the environment's databases (and detached ones restored with --to-new)") { app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<DatabaseDto>(parse, $"v1/apps/{parse.GetValue(app)}/databases",
            $"No databases. Add one: slipway db create --app {parse.GetValue(app)} (or \"databases\" in slipway.json)",
            list => cli.Table(["name", "type", "database", "var", "server", "backups", "attached"], list.Select(d => (IReadOnlyList<string>)
                [d.Name, d.Type, d.Database, d.Var, d.Server, d.Schedule, d.Attached ? "yes" : "detached"])), token)));
        return command;
    }

    private static Command Url(CliContext cli)
    {
        var app = AppOption.Required();
        var name = NameOption();
        var command = new Command("url", "Print the database's URL (a secret: it includes the password)") { app, name, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ShowAsync<DatabaseUrlDto>(parse,
            $"v1/apps/{parse.GetValue(app)}/databases/{parse.GetValue(name)}/url", url => cli.Out.WriteLine(url.Url), token)));
        return command;
    }

    private static Command Psql(CliContext cli)
    {
        var app = AppOption.Required();
        var name = NameOption();
        var args = new Argument<string[]>("psql-args") { Description = "Arguments for psql (after --), like -- -c 'select 1'", Arity = ArgumentArity.ZeroOrMore };
        var sql = new Option<string>("--command", "-c") { Description = "Run one SQL command and print its rows unaligned (for scripts)" };
        var command = new Command("psql", "Open psql on the database, as the app's own role") { app, name, sql, args };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            // The database listens on the server's loopback only: psql has to run there.
            CliContext.RequireLocal(api, "db psql");
            var url = new Uri((await api.GetAsync<DatabaseUrlDto>($"v1/apps/{parse.GetValue(app)}/databases/{parse.GetValue(name)}/url", token)).Url);
            if (url.Scheme != "postgres")
            {
                throw new UserException($"{parse.GetValue(name)} is not a postgres database; 'slipway db url' prints its URL for redis-cli -u.");
            }
            var psql = PostgresBinaries.Find()?.Path("psql") ?? "psql";
            var info = new ProcessStartInfo(psql) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            string[] extra = parse.GetValue(sql) is { } one ? ["-X", "-tA", "-v", "ON_ERROR_STOP=1", "-c", one, .. parse.GetValue(args) ?? []] : parse.GetValue(args) ?? [];
            foreach (var a in extra)
            {
                info.ArgumentList.Add(a);
            }
            // The password travels in the environment, never on psql's command line.
            var (user, _, password) = url.UserInfo.Partition(':');
            info.Environment["PGHOST"] = url.Host;
            info.Environment["PGPORT"] = url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            info.Environment["PGUSER"] = Uri.UnescapeDataString(user);
            info.Environment["PGPASSWORD"] = Uri.UnescapeDataString(password);
            info.Environment["PGDATABASE"] = Uri.UnescapeDataString(url.AbsolutePath.Trim('/'));
            var interactive = extra.Length == 0 && !Console.IsInputRedirected;
            if (interactive)
            {
                info.RedirectStandardOutput = false;
                info.RedirectStandardError = false;
            }
            using var process = Process.Start(info) ?? throw new UserException("Could not start psql. " + PostgresBinaries.InstallHint);
            if (!interactive)
            {
                var stdout = process.StandardOutput.ReadToEndAsync(token);
                var stderr = process.StandardError.ReadToEndAsync(token);
                await cli.Out.WriteAsync(await stdout);
                await cli.Err.WriteAsync(await stderr);
            }
            await process.WaitForExitAsync(token);
            return process.ExitCode;
        }));
        return command;
    }

    private static Command Backup(CliContext cli)
    {
        var app = AppOption.Required();
        var name = NameOption();
        var command = new Command("backup", "Take a backup now; it is verified by restoring it into a scratch database") { app, name, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            if (!parse.GetValue(CliContext.JsonOutput))
            {
                cli.Out.WriteLine($"Backing up {parse.GetValue(name)} of {parse.GetValue(app)}, then verifying it by a restore...");
            }
            var backup = await DbOperation.RunAsync<BackupDto>(cli, api, $"v1/apps/{parse.GetValue(app)}/databases/{parse.GetValue(name)}/backups", null,
                parse.GetValue(CliContext.JsonOutput), token);
            return Report(cli, parse, backup);
        }));
        return command;
    }

    private static int Report(CliContext cli, ParseResult parse, BackupDto backup)
    {
        cli.Print(parse, backup, b =>
        {
            if (b.Status == BackupStatus.Verified)
            {
                cli.Out.WriteLine($"Backup {b.Id}: verified ({Size(b.SizeBytes)}, {b.Tables} tables, {b.Rows} rows, {b.DurationMs} ms)");
            }
            else
            {
                cli.Err.WriteLine($"error: backup {b.Id} {b.Status}: {b.Error}");
            }
        });
        return backup.Status == BackupStatus.Verified ? 0 : 1;
    }

    private static Command Backups(CliContext cli)
    {
        var app = AppOption.Required();
        var command = new Command("backups", "List the environment's backups with size, duration and verification") { app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<BackupDto>(parse, $"v1/apps/{parse.GetValue(app)}/backups",
            $"No backups yet. Take one: slipway db backup --app {parse.GetValue(app)}",
            list => cli.Table(["id", "database", "kind", "status", "size", "duration", "started", "error"], list.Select(b => (IReadOnlyList<string>)
                [b.Id, b.Database, b.Kind, b.Status, Size(b.SizeBytes), b.DurationMs is { } ms ? $"{ms} ms" : "", b.StartedAt, b.Error ?? ""])), token)));
        return command;
    }

    private static Command Verify(CliContext cli)
    {
        var id = new Argument<string>("backup") { Description = "The backup's id (from 'slipway db backups')" };
        var command = new Command("verify", "Verify a backup again: checksum, restore into a scratch database, compare row counts") { id, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            return Report(cli, parse, await DbOperation.RunAsync<BackupDto>(cli, api, $"v1/backups/{parse.GetValue(id)}/verify", null, parse.GetValue(CliContext.JsonOutput), token));
        }));
        return command;
    }

    private static Command Restore(CliContext cli)
    {
        var id = new Argument<string>("backup") { Description = "The backup's id (from 'slipway db backups'); leave out with --at", Arity = ArgumentArity.ZeroOrOne };
        var toNew = new Option<string>("--to-new") { Description = "Restore into a new database NAME instead of replacing the live one" };
        var at = new Option<string>("--at") { Description = "Point-in-time recovery: the moment (UTC, like 2026-11-21T10:04:00Z) to recover into --to-new NAME" };
        var app = AppOption.Optional("The app whose database to recover (with --at)");
        var name = NameOption();
        var command = new Command("restore", "Restore a verified backup (in place after a safety backup, atomic switch; or --to-new NAME), or recover a moment with --at")
        {
            id, toNew, at, app, name, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            RestoreDto result;
            if (parse.GetValue(at) is { } moment)
            {
                if (parse.GetValue(toNew) is not { } target || parse.GetValue(app) is not { } appName)
                {
                    throw new UserException("--at recovers into a new database: give --app APP and --to-new NAME (the live database is never touched).");
                }
                if (!parse.GetValue(CliContext.JsonOutput))
                {
                    cli.Out.WriteLine($"Recovering {parse.GetValue(name)} of {appName} as it was at {moment} into {target} (base backup + WAL replay in a temporary cluster)...");
                }
                result = await DbOperation.RunAsync<RestoreDto>(cli, api, $"v1/apps/{appName}/databases/{parse.GetValue(name)}/recover", new RecoverBody(moment, target),
                    parse.GetValue(CliContext.JsonOutput), token);
            }
            else
            {
                var backup = parse.GetValue(id) ?? throw new UserException("Give the backup to restore (ids are in 'slipway db backups --app APP'), or --at TIME for point-in-time recovery.");
                result = await DbOperation.RunAsync<RestoreDto>(cli, api, $"v1/backups/{backup}/restore", new RestoreBody(parse.GetValue(toNew)),
                    parse.GetValue(CliContext.JsonOutput), token);
            }
            cli.Print(parse, result, r => cli.Out.WriteLine(r.SafetyBackup is { } safety
                ? $"Restored into {r.Database} in {r.Milliseconds} ms; the data it replaced is in safety backup {safety}."
                : $"Restored into the new database {r.Database} in {r.Milliseconds} ms ('slipway db ls' shows it; 'slipway db url --name {r.Database}' gives its URL)."));
            return 0;
        }));
        return command;
    }

    private static Command Attach(CliContext cli)
    {
        var detached = new Argument<string>("detached") { Description = "A detached database (from restore --to-new or --at; see 'slipway db ls')" };
        var app = AppOption.Required();
        var name = NameOption();
        var command = new Command("attach", "Make a detached database the environment's database (safety backup first, atomic switch, same URL)")
        {
            detached, app, name, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var result = await DbOperation.RunAsync<RestoreDto>(cli, api, $"v1/apps/{parse.GetValue(app)}/databases/{parse.GetValue(name)}/attach",
                new AttachBody(parse.GetValue(detached)!), parse.GetValue(CliContext.JsonOutput), token);
            cli.Print(parse, result, r =>
                cli.Out.WriteLine($"{parse.GetValue(detached)} is now {r.Database} in {r.Milliseconds} ms; the data it replaced is in safety backup {r.SafetyBackup}."));
            return 0;
        }));
        return command;
    }

    private static Command Branch(CliContext cli)
    {
        var app = AppOption.Required();
        var from = new Option<string>("--from") { Description = "The environment whose database is copied", Required = true };
        var name = NameOption();
        var command = new Command("branch", "Give an environment (--env) a copy of another environment's database (--from)") { app, from, name, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var json = parse.GetValue(CliContext.JsonOutput);
            var result = await DbOperation.RunAsync<BranchDto>(cli, api, $"v1/apps/{parse.GetValue(app)}/databases/{parse.GetValue(name)}/branch",
                new BranchBody(parse.GetValue(from)!, parse.GetValue(name)), json, token);
            return await FinishAsync(cli, api, json, result, result.Deployment,
                $"Branched {parse.GetValue(from)}'s {parse.GetValue(name)} into {result.Database}: {Size(result.Bytes)} in {result.Milliseconds} ms (copy {result.CopyMilliseconds} ms, switch {result.SwitchMilliseconds} ms)." +
                (result.SafetyBackup is { } safety ? $" The data it replaced is in safety backup {safety}." : ""), token);
        }));
        return command;
    }

    /// <summary>A database that gave the environment a new URL var may have started a config release: the change's
    /// <paramref name="text"/>, then that release followed to its end. With --json only the last answer: the
    /// release's when there is one, else the change's.</summary>
    private static async Task<int> FinishAsync<T>(CliContext cli, ApiClient api, bool json, T change, Api.DeploymentDto? deployment, string text, CancellationToken token)
    {
        if (!json)
        {
            cli.Out.WriteLine(text);
        }
        if (deployment is not null)
        {
            return await DeployCommands.FinishAsync(cli, api, deployment, false, json, token);
        }
        if (json)
        {
            cli.WriteJson(change);
        }
        return 0;
    }

    private static Command Server(CliContext cli)
    {
        var server = new Command("server", "PostgreSQL servers Slipway manages databases on, besides its own cluster");
        var url = new Argument<string>("url")
        {
            Description = "An administrator URL: postgres://admin:PASSWORD@host:5432/postgres. Leave it out (or give -) to read it from " +
                "standard input, which keeps the password out of 'ps' and your shell history",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var name = new Option<string>("--name") { Description = "What to call it (for 'db create --server')", DefaultValueFactory = _ => "main" };
        var add = new Command("add", "Add a server (its credentials are kept encrypted)") { url, name };
        add.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var given = parse.GetValue(url) is { } arg && arg != "-" ? arg : (await cli.In.ReadLineAsync(token))?.Trim();
            if (string.IsNullOrEmpty(given))
            {
                throw new UserException("Give the administrator URL on standard input: printf '%s\\n' \"$ADMIN_URL\" | slipway db server add --name NAME");
            }
            using var api = cli.Api(parse);
            await api.PostAsync<System.Text.Json.JsonElement>("v1/db-servers", new ServerBody(parse.GetValue(name)!, given), token);
            cli.Out.WriteLine($"Added server {parse.GetValue(name)}. Use it: slipway db create --app APP --server {parse.GetValue(name)}");
            return 0;
        }));
        server.Subcommands.Add(add);
        return server;
    }

    private static string Size(long? bytes) => bytes switch
    {
        null => "",
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} kB",
        < 1024L * 1024 * 1024 => $"{bytes / 1024.0 / 1024:0.0} MB",
        _ => $"{bytes / 1024.0 / 1024 / 1024:0.00} GB",
    };
}
