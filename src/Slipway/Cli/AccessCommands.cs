using System.CommandLine;
using System.Globalization;
using Slipway.Access;
using Slipway.Api;

namespace Slipway.Cli;

/// <summary>`setup`, `login`, `logout`, `whoami`, `users`, `tokens` and `audit`: a platform a team shares.</summary>
internal static class AccessCommands
{
    public static IEnumerable<Command> Create(CliContext cli) =>
        [Setup(cli), LoginCommand(cli), Logout(cli), WhoAmI(cli), Users(cli), Tokens(cli), Audit(cli)];

    private static readonly Option<bool> PasswordStdin = new("--password-stdin") { Description = "Read the password from standard input (scripts)" };
    private static readonly Option<string> PasswordFile = new("--password-file") { Description = "Read the password from the first line of this file (scripts)" };

    private static Command Setup(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "The owner's user name (an email address works)" };
        var code = new Option<string>("--code") { Description = "The one-time setup code 'slipway up' printed (on the server: the data directory's setup-code file)" };
        var command = new Command("setup", "Create the platform's first user, its owner, with the one-time setup code") { name, code, PasswordStdin, PasswordFile, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var setupCode = parse.GetValue(code) ?? (api.IsRemote ? null : ReadSetupCode(CliContext.DataDir(parse)))
                ?? throw new UserException("Give the setup code with --code (on the server, 'slipway up' prints it).");
            var password = Password(cli, parse, "New password for " + parse.GetValue(name), confirm: true);
            var user = await api.PostAsync<UserDto>("v1/setup", new SetupBody(setupCode, parse.GetValue(name)!, password), token);
            cli.Print(parse, user, u => cli.Out.WriteLine($"{u.Name} is the platform's owner. Log in from anywhere with 'slipway login URL'."));
            return 0;
        }));
        return command;
    }

    private static Command LoginCommand(CliContext cli)
    {
        var url = new Argument<string>("url") { Description = "The platform's address, like https://slipway.example.com" };
        var user = new Option<string>("--user", "-u") { Description = "Your user name", Required = true };
        var ca = new Option<string>("--ca") { Description = "A PEM file of the certificate authority to trust for this platform (a private CA)" };
        var code = new Option<string>("--code") { Description = "Your second-factor code, when your account has one" };
        var command = new Command("login", "Log in to a platform; later commands talk to it (the login is kept in ~/.config/slipway, mode 0600)")
            { url, user, ca, code, PasswordStdin, PasswordFile, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var address = CliContext.RemoteUrl(parse.GetValue(url)!);
            var caFile = parse.GetValue(ca) is { } file ? Path.GetFullPath(file) : null;
            if (caFile is not null && !File.Exists(caFile))
            {
                throw new UserException($"--ca {caFile}: no such file.");
            }
            var password = Password(cli, parse, $"Password for {parse.GetValue(user)} at {address.Host}", confirm: false);
            using var anonymous = ApiClient.Remote(address, "-", caFile, null);
            var login = await anonymous.PostAsync<LoginDto>("v1/login", new LoginBody(parse.GetValue(user)!, password, parse.GetValue(code), "cli"), token);
            new Login(address.GetLeftPart(UriPartial.Authority), login.Token!, login.User, caFile).Save();
            cli.Print(parse, new { user = login.User, url = address.GetLeftPart(UriPartial.Authority), expiresAt = login.ExpiresAt },
                _ => cli.Out.WriteLine($"Logged in to {address.GetLeftPart(UriPartial.Authority)} as {login.User}. 'slipway logout' forgets this login."));
            return 0;
        }));
        return command;
    }

    private static Command Logout(CliContext cli)
    {
        var command = new Command("logout", "End this login and forget it");
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            if (Login.Load() is not { } login)
            {
                cli.Out.WriteLine("Not logged in to any platform.");
                return 0;
            }
            try
            {
                using var api = ApiClient.Remote(new Uri(login.Url), login.Token, login.Ca, null);
                await api.SendAsync<object?>(HttpMethod.Post, "v1/logout", null, token);
            }
            catch (UserException)
            {
                // Ended or unreachable already: forgetting it here is what is left to do.
            }
            Login.Forget();
            cli.Out.WriteLine($"Logged out of {login.Url}.");
            return 0;
        }));
        return command;
    }

    private static Command WhoAmI(CliContext cli)
    {
        var command = new Command("whoami", "Who this CLI acts as, and its roles") { CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ShowAsync<WhoAmIDto>(parse, "v1/whoami", me =>
            cli.Out.WriteLine($"{me.Name} ({JsonSpellings.Of(me.Kind)}): {string.Join(", ", me.Roles.Select(r => r.Scope))}"), token)));
        return command;
    }

    private static Command Users(CliContext cli)
    {
        var users = new Command("users", "The people who use this platform and their roles (owner only)");
        var ls = new Command("ls", "List users with their roles") { CliContext.JsonOutput };
        ls.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<UserDto>(parse, "v1/users", "No users yet: 'slipway setup NAME' creates the owner.", list =>
            cli.Table(["user", "roles", "2fa", "created"], list.Select(u => (IReadOnlyList<string>)
                [u.Name, string.Join(", ", u.Roles.Select(r => r.Scope)), u.Totp ? "on" : "off", u.CreatedAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)])), token)));
        users.Subcommands.Add(ls);

        var name = new Argument<string>("name") { Description = "The user name" };
        var role = RoleArgument();
        var (app, env) = ScopeOptions();
        var add = new Command("add", "Add a user with a role (--app/--env for one app or environment); asks for the first password") { name, role, app, env, PasswordStdin, PasswordFile, CliContext.JsonOutput };
        add.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var password = Password(cli, parse, "Password for " + parse.GetValue(name), confirm: true);
            var user = await api.PostAsync<UserDto>("v1/users", new UserBody(parse.GetValue(name)!, password, parse.GetValue(role), parse.GetValue(app), parse.GetValue(env)), token);
            cli.Print(parse, user, u => cli.Out.WriteLine($"Added {u.Name}: {string.Join(", ", u.Roles.Select(r => r.Scope))}."));
            return 0;
        }));
        users.Subcommands.Add(add);

        var rmName = new Argument<string>("name") { Description = "The user to remove" };
        var rm = new Command("rm", "Remove a user: its logins end and the tokens it made are revoked") { rmName, CliContext.JsonOutput };
        rm.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var removed = await api.DeleteAsync<RemovedUserDto>($"v1/users/{Uri.EscapeDataString(parse.GetValue(rmName)!)}", token);
            cli.Print(parse, removed, r => cli.Out.WriteLine($"Removed {r.Name}." +
                (r.RevokedTokens.Count == 0 ? "" : $" Revoked the tokens it made: {string.Join(", ", r.RevokedTokens)}.")));
            return 0;
        }));
        users.Subcommands.Add(rm);

        var roleName = new Argument<string>("name") { Description = "The user" };
        var newRole = RoleArgument();
        var (roleApp, roleEnv) = ScopeOptions();
        var remove = new Option<bool>("--remove") { Description = "Take the role at this scope away instead" };
        var roleCommand = new Command("role", "Set a user's role on the platform, an app (--app) or one environment (--app --env)")
            { roleName, newRole, roleApp, roleEnv, remove, CliContext.JsonOutput };
        roleCommand.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var user = await api.PostAsync<UserDto>($"v1/users/{Uri.EscapeDataString(parse.GetValue(roleName)!)}/role",
                new RoleBody(parse.GetValue(newRole), parse.GetValue(roleApp), parse.GetValue(roleEnv), parse.GetValue(remove)), token);
            cli.Print(parse, user, u => cli.Out.WriteLine($"{u.Name}: {(u.Roles.Count == 0 ? "no roles" : string.Join(", ", u.Roles.Select(r => r.Scope)))}."));
            return 0;
        }));
        users.Subcommands.Add(roleCommand);

        var resetName = new Argument<string>("name") { Description = "The user" };
        var reset = new Command("reset-password", "Set a user's password; only on the server itself (the recovery path for a lost owner password)") { resetName, PasswordStdin, PasswordFile };
        reset.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            if (api.IsRemote)
            {
                throw new UserException("reset-password must run on the server itself (as the user that runs the platform, or root), not through a login.");
            }
            var password = Password(cli, parse, "New password for " + parse.GetValue(resetName), confirm: true);
            await api.SendAsync<object?>(HttpMethod.Post, $"v1/users/{Uri.EscapeDataString(parse.GetValue(resetName)!)}/password", new PasswordBody(password), token);
            cli.Out.WriteLine($"{parse.GetValue(resetName)} has a new password; its logins have ended.");
            return 0;
        }));
        users.Subcommands.Add(reset);

        var totp = new Command("totp", "A second factor (TOTP authenticator app) for a user");
        var onName = new Argument<string>("name") { Description = "The user (yourself, or anyone for an owner)" };
        var enable = new Command("enable", "Turn on TOTP: prints the secret, its otpauth:// URI and 10 one-time recovery codes, once") { onName, CliContext.JsonOutput };
        enable.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var result = await api.PostAsync<TotpDto>($"v1/users/{Uri.EscapeDataString(parse.GetValue(onName)!)}/totp", null, token);
            cli.Print(parse, result, r =>
            {
                cli.Out.WriteLine($"Add this to your authenticator app: {r.Uri}");
                cli.Out.WriteLine($"(or type the secret: {r.Secret})");
                cli.Out.WriteLine("Recovery codes, each works once when the phone is lost; keep them somewhere safe:");
                foreach (var c in r.RecoveryCodes)
                {
                    cli.Out.WriteLine("  " + c);
                }
            });
            return 0;
        }));
        var offName = new Argument<string>("name") { Description = "The user" };
        var disable = new Command("disable", "Turn TOTP off for a user") { offName };
        disable.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            await api.DeleteAsync<object?>($"v1/users/{Uri.EscapeDataString(parse.GetValue(offName)!)}/totp", token);
            cli.Out.WriteLine($"TOTP is off for {parse.GetValue(offName)}.");
            return 0;
        }));
        totp.Subcommands.Add(enable);
        totp.Subcommands.Add(disable);
        users.Subcommands.Add(totp);
        return users;
    }

    private static Command Tokens(CliContext cli)
    {
        var tokens = new Command("tokens", "API tokens for CI and scripts: shown once, stored hashed, revocable");
        var name = new Option<string>("--name") { Description = "Where the token is used (github-actions)", Required = true };
        var role = new Option<Role>("--role") { Description = "viewer, deployer or admin (at most your own)", DefaultValueFactory = _ => Role.Deployer };
        var (app, env) = ScopeOptions();
        var expires = new Option<string>("--expires") { Description = "Lifetime like 90d, or never", DefaultValueFactory = _ => "90d" };
        var create = new Command("create", "Make a token; it is printed once (SLIPWAY_URL + SLIPWAY_TOKEN in CI)") { name, role, app, env, expires, CliContext.JsonOutput };
        create.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var made = await api.PostAsync<TokenDto>("v1/tokens", new TokenBody(parse.GetValue(name)!, parse.GetValue(role), parse.GetValue(app), parse.GetValue(env), parse.GetValue(expires)), token);
            cli.Print(parse, made, t =>
            {
                cli.Out.WriteLine(t.Token);
                cli.Err.WriteLine($"Token {t.Name} ({t.Role.Scope}{(t.ExpiresAt is { } e ? ", expires " + UtcTime.Format(e) : "")}). It is shown only now: " +
                    "store it as a CI secret, e.g. SLIPWAY_TOKEN, with SLIPWAY_URL set to this platform's address.");
            });
            return 0;
        }));
        tokens.Subcommands.Add(create);

        var ls = new Command("ls", "List the tokens you manage (never their secrets)") { CliContext.JsonOutput };
        ls.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<TokenDto>(parse, "v1/tokens", "No tokens. 'slipway tokens create --name ci --app APP' makes one.", list =>
            cli.Table(["id", "name", "role", "by", "expires", "last used", "state"], list.Select(t => (IReadOnlyList<string>)
                [t.Id, t.Name, t.Role.Scope, t.CreatedBy, t.ExpiresAt is { } e ? UtcTime.Format(e)[..10] : "never",
                 t.LastUsedAt is { } u ? $"{UtcTime.Format(u)[..16]} from {t.LastUsedFrom}" : "never",
                 t.RevokedAt is not null ? "revoked" : t.ExpiresAt <= DateTimeOffset.UtcNow ? "expired" : "active"])), token)));
        tokens.Subcommands.Add(ls);

        var which = new Argument<string>("token") { Description = "The token's id or name" };
        var revoke = new Command("revoke", "Revoke a token: it stops working at once") { which };
        revoke.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            await api.DeleteAsync<object?>($"v1/tokens/{Uri.EscapeDataString(parse.GetValue(which)!)}", token);
            cli.Out.WriteLine($"Revoked {parse.GetValue(which)}.");
            return 0;
        }));
        tokens.Subcommands.Add(revoke);
        return tokens;
    }

    private static Command Audit(CliContext cli)
    {
        var app = new Option<string>("--app") { Description = "Only this app's lines" };
        var since = new Option<string>("--since") { Description = "Only lines newer than this: 7d, 12h or a time", DefaultValueFactory = _ => "7d" };
        var limit = new Option<int>("--limit", "-n") { Description = "At most this many lines", DefaultValueFactory = _ => 200 };
        var command = new Command("audit", "Who changed what, when, from where (and every refused attempt); kept a year") { app, since, limit, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() =>
        {
            var query = $"v1/audit?since={Uri.EscapeDataString(parse.GetValue(since)!)}&limit={parse.GetValue(limit)}" +
                (parse.GetValue(app) is { } a ? "&app=" + Uri.EscapeDataString(a) : "");
            return cli.ListAsync<AuditDto>(parse, query, "Nothing in the audit log for that.", list =>
                cli.Table(["at", "who", "action", "app", "outcome", "from", "detail"], list.Select(e => (IReadOnlyList<string>)
                    [UtcTime.Format(e.At)[..19], e.Actor, e.Action, e.App is null ? "-" : e.Env is null or AppRef.Production ? e.App : $"{e.App} ({e.Env})",
                     e.Outcome, e.Address ?? "-", e.Detail ?? ""])), token);
        }));
        return command;
    }

    private static Argument<Role> RoleArgument() => new("role") { Description = "viewer, deployer, admin or owner" };

    private static (Option<string> App, Option<string> Env) ScopeOptions() =>
        (new Option<string>("--app") { Description = "Only for this app" }, new Option<string>("--env") { Description = "Only for this environment of --app" });

    private static string? ReadSetupCode(string dataDir)
    {
        var path = Path.Combine(dataDir, "setup-code");
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    /// <summary>From standard input with --password-stdin, else asked on the terminal without echo.</summary>
    private static string Password(CliContext cli, System.CommandLine.ParseResult parse, string prompt, bool confirm)
    {
        if (parse.GetValue(PasswordFile) is { } file)
        {
            return File.Exists(file) ? File.ReadLines(file).FirstOrDefault() ?? "" : throw new UserException($"--password-file {file}: no such file.");
        }
        if (parse.GetValue(PasswordStdin))
        {
            return cli.In.ReadLine() ?? throw new UserException("--password-stdin: standard input was empty.");
        }
        if (Console.IsInputRedirected)
        {
            throw new UserException("Without a terminal the password cannot be asked for: pipe it in with --password-stdin.");
        }
        var first = Hidden(cli, prompt + ": ");
        if (confirm && Hidden(cli, "Again: ") != first)
        {
            throw new UserException("The two passwords differ; nothing was changed.");
        }
        return first;
    }

    /// <summary>A line typed on the terminal without echo (passwords, keys).</summary>
    internal static string Hidden(CliContext cli, string prompt)
    {
        cli.Err.Write(prompt);
        var value = new System.Text.StringBuilder();
        while (Console.ReadKey(intercept: true) is var key && key.Key != ConsoleKey.Enter)
        {
            if (key.Key == ConsoleKey.Backspace)
            {
                value.Length = Math.Max(0, value.Length - 1);
            }
            else if (key.KeyChar != '\0')
            {
                value.Append(key.KeyChar);
            }
        }
        cli.Err.WriteLine();
        return value.ToString();
    }
}
