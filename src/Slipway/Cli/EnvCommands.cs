using System.CommandLine;
using Slipway.Api;

namespace Slipway.Cli;

/// <summary>slipway env ls | set | unset | get: an app's config vars. Values are taken byte for byte as the
/// shell passes them: Slipway never interpolates `$`, quotes or anything else.</summary>
internal static class EnvCommands
{
    public static Command Create(CliContext cli)
    {
        var env = new Command("env", "An app's config vars (secrets encrypted at rest, masked unless revealed)");
        env.Subcommands.Add(List(cli));
        env.Subcommands.Add(Set(cli));
        env.Subcommands.Add(Unset(cli));
        env.Subcommands.Add(Get(cli));
        env.Subcommands.Add(Pull(cli));
        env.Subcommands.Add(Import(cli));
        env.Subcommands.Add(Diff(cli));
        env.Subcommands.Add(Example(cli));
        return env;
    }

    private static Command List(CliContext cli)
    {
        var app = AppOption.Required();
        var command = new Command("ls", "List config vars; secrets are masked") { app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<ConfigVarDto>(parse, $"v1/apps/{parse.GetValue(app)}/config",
            $"No config vars. Set one: slipway env set --app {parse.GetValue(app)} NAME=value",
            vars => cli.Table(["name", "value", "secret", "scope", "updated"], vars.Select(v => (IReadOnlyList<string>)
                [v.Name, OneLine(v.Value), v.Secret ? "yes" : "", v.Shared ? "shared" : "environment", v.UpdatedAt])), token)));
        return command;
    }

    private static Command Set(CliContext cli)
    {
        var app = AppOption.Required();
        var pairs = new Argument<string[]>("pairs")
        {
            Description = "NAME=value pairs (quote them for your shell; Slipway keeps every byte), or one NAME with --from-file, or with --secret to be asked for it",
            Arity = ArgumentArity.OneOrMore,
        };
        var secret = new Option<bool>("--secret") { Description = "Encrypted, masked in 'env ls', redacted from every log" };
        var noDeploy = new Option<bool>("--no-deploy") { Description = "Only save: the next deploy picks it up" };
        var shared = new Option<bool>("--shared") { Description = "Set for every environment of the app (an environment's own value wins)" };
        var fromFile = new Option<string>("--from-file") { Description = "The value of the one NAME given is this file's content, byte for byte ('-': standard input)" };
        var create = CreateOption();
        var command = new Command("set", "Set config vars; the live build is released again with them, through the health gate")
        {
            pairs, app, secret, noDeploy, shared, fromFile, create, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var given = parse.GetValue(pairs)!;
            var target = parse.GetValue(app)!;
            var set = new Dictionary<string, string>(StringComparer.Ordinal);
            if (parse.GetValue(fromFile) is { } file)
            {
                if (given.Length != 1 || given[0].Contains('=', StringComparison.Ordinal))
                {
                    throw new UserException($"--from-file sets one variable: give its NAME alone. Example: slipway env set --app {target} --secret TLS_KEY --from-file key.pem");
                }
                set[given[0]] = await ValueFromFileAsync(given[0], file, token);
            }
            else if (given is [var only] && !only.Contains('=', StringComparison.Ordinal) && parse.GetValue(secret))
            {
                set[only] = AskHidden(cli, target, only);
            }
            else
            {
                foreach (var pair in given)
                {
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        throw new UserException($"'{pair}' is not NAME=value. Example: slipway env set --app {target} 'GREETING=hello $USER' " +
                            $"(a large or secret value: slipway env set --app {target} --secret {(eq < 0 ? pair : "NAME")} --from-file FILE)");
                    }
                    set[pair[..eq]] = pair[(eq + 1)..];
                }
            }
            return await ChangeAsync(cli, parse, target,
                new ConfigChangeBody(set, null, parse.GetValue(secret), !parse.GetValue(noDeploy), parse.GetValue(shared), parse.GetValue(create)), token);
        }));
        return command;
    }

    private static Option<bool> CreateOption() =>
        new("--create") { Description = "Create the app (or --env environment) if nobody deployed it yet: config its first deploy needs" };

    /// <summary>A file's bytes (or standard input's, for "-") as the value: never through a shell, never in `ps`.
    /// Refused before anything is sent when it cannot reach a process (<see cref="Config.ConfigLimits"/>) or is not
    /// UTF-8 text.</summary>
    private static async Task<string> ValueFromFileAsync(string name, string file, CancellationToken token)
    {
        var fromStdin = file == "-";
        var path = fromStdin ? "standard input" : Path.GetFullPath(file);
        if (!fromStdin && !File.Exists(path))
        {
            throw new UserException($"{path} does not exist. Give the file that holds {name}'s value, or '-' to read it from standard input.");
        }
        await using var stream = fromStdin ? Console.OpenStandardInput() : File.OpenRead(path);
        var limit = Config.ConfigLimits.MaxVariableBytes;
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, token)) > 0 && buffer.Length <= limit)
        {
            buffer.Write(chunk, 0, read);
        }
        if (Config.ConfigLimits.SizeProblem(name, name.Length + 1 + (fromStdin ? buffer.Length : new FileInfo(path).Length)) is { } tooLarge)
        {
            throw new UserException($"{tooLarge} ({path}). Nothing was saved.");
        }
        try
        {
            return new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new UserException($"{path} is not UTF-8 text, and an environment variable holds text. Store it encoded " +
                $"(base64 -w0 {(fromStdin ? "FILE" : file)} | slipway env set ... {name} --from-file -) and decode it in the app.");
        }
    }

    /// <summary>`env set --secret NAME` alone: asks on the terminal without echo, so the value is in no shell history
    /// and no `ps` listing. Without a terminal there is nobody to ask.</summary>
    private static string AskHidden(CliContext cli, string app, string name)
    {
        if (Console.IsInputRedirected)
        {
            throw new UserException($"{name} has no value, and without a terminal it cannot be asked for. Give it from a file or standard input: " +
                $"slipway env set --app {app} --secret {name} --from-file FILE (or --from-file - < FILE). " +
                "A value on the command line (NAME=value) works too, but is visible in 'ps' while the command runs.");
        }
        cli.Err.Write($"Value of {name} (not shown; Enter to finish): ");
        var value = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }
            if (key.Key == ConsoleKey.Backspace)
            {
                value.Length = Math.Max(0, value.Length - 1);
                continue;
            }
            if (key.KeyChar != '\0')
            {
                // Keys without a character (arrows, function keys) are not part of the value.
                value.Append(key.KeyChar);
            }
        }
        // A pasted multi-line value (a PEM key) ends its first line with Enter and leaves the rest waiting.
        var pending = false;
        while (Console.KeyAvailable)
        {
            Console.ReadKey(intercept: true);
            pending = true;
        }
        cli.Err.WriteLine();
        return PromptProblem(app, name, value.ToString(), pending) is { } problem ? throw new UserException(problem) : value.ToString();
    }

    /// <summary>Why a value typed or pasted at the no-echo prompt is not taken, or null: nothing entered, or a
    /// multi-line value (a PEM block, or input still waiting after Enter), of which the prompt got only the first line.</summary>
    internal static string? PromptProblem(string app, string name, string value, bool pendingAfterEnter)
    {
        if (pendingAfterEnter || value.StartsWith("-----BEGIN", StringComparison.Ordinal))
        {
            return $"{name} looks like a multi-line value (a key or certificate), and the prompt takes one line; nothing was saved. " +
                $"Give it from a file: slipway env set --app {app} --secret {name} --from-file FILE";
        }
        return value.Length == 0 ? $"No value entered for {name}; nothing was saved." : null;
    }

    private static Command Unset(CliContext cli)
    {
        var app = AppOption.Required();
        var names = new Argument<string[]>("names") { Description = "Names to remove", Arity = ArgumentArity.OneOrMore };
        var noDeploy = new Option<bool>("--no-deploy") { Description = "Only save: the next deploy picks it up" };
        var command = new Command("unset", "Remove config vars; the live build is released again without them") { names, app, noDeploy, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() =>
            ChangeAsync(cli, parse, parse.GetValue(app)!, new ConfigChangeBody(null, parse.GetValue(names), false, !parse.GetValue(noDeploy)), token)));
        return command;
    }

    private static Command Get(CliContext cli)
    {
        var app = AppOption.Required();
        var name = new Argument<string>("name") { Description = "The variable" };
        var reveal = new Option<bool>("--reveal") { Description = "Print a secret's value (it is masked otherwise)" };
        var command = new Command("get", "Print one config var's value, exactly (no newline added to secrets' bytes)") { name, app, reveal, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var revealed = parse.GetValue(reveal);
            var v = await api.GetAsync<ConfigVarDto>(
                $"v1/apps/{parse.GetValue(app)}/config/{Uri.EscapeDataString(parse.GetValue(name)!)}?reveal={(revealed ? "true" : "false")}", token);
            if (v.Secret && !revealed)
            {
                // A script reading `$(slipway env get TOKEN)` must not carry on with the mask as if it were the value.
                throw new UserException($"{v.Name} is a secret, so its value is not printed: add --reveal to print it " +
                    $"({CliContext.Command(parse)} env get {v.Name} --app {parse.GetValue(app)} --reveal).");
            }
            if (parse.GetValue(CliContext.JsonOutput))
            {
                cli.WriteJson(v);
            }
            else
            {
                cli.Out.WriteLine(v.Value);
            }
            return 0;
        }));
        return command;
    }

    private static Command Pull(CliContext cli)
    {
        var app = AppOption.Required();
        var file = new Option<string>("--file") { Description = "Where to write", DefaultValueFactory = _ => ".env" };
        var reveal = new Option<bool>("--reveal") { Description = "Include secrets' values (otherwise they are listed as comments)" };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing file" };
        var command = new Command("pull", "Write the app's config to a .env file (mode 0600) for local development") { app, file, reveal, force };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var path = Path.GetFullPath(parse.GetValue(file)!);
            if (File.Exists(path) && !parse.GetValue(force))
            {
                throw new UserException($"{path} exists. Add --force to overwrite it, or --file to write elsewhere.");
            }
            using var api = cli.Api(parse);
            var vars = await api.GetAsync<List<ConfigVarDto>>($"v1/apps/{parse.GetValue(app)}/config?reveal={(parse.GetValue(reveal) ? "true" : "false")}", token);
            var text = new System.Text.StringBuilder($"# config of {parse.GetValue(app)}, written by slipway env pull\n");
            foreach (var v in vars)
            {
                text.AppendLine(v.Secret && !parse.GetValue(reveal)
                    ? $"# {v.Name}= (secret: run 'slipway env pull --reveal' to include it)"
                    : Config.DotEnv.Line(v.Name, v.Value));
            }
            await using (var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            await using (var writer = new StreamWriter(stream))
            {
                await writer.WriteAsync(text.ToString());
            }
            cli.Out.WriteLine($"Wrote {vars.Count} variable(s) to {path}");
            return 0;
        }));
        return command;
    }

    private static Command Import(CliContext cli)
    {
        var app = AppOption.Required();
        var file = new Argument<string>("file") { Description = "A .env file (dotenv syntax)", DefaultValueFactory = _ => ".env" };
        var secret = new Option<bool>("--secret") { Description = "Import every variable as a secret" };
        var noDeploy = new Option<bool>("--no-deploy") { Description = "Only save: the next deploy picks them up" };
        var create = CreateOption();
        var command = new Command("import", "Set config vars from a .env file (quotes and escapes as dotenv reads them, no $ expansion)")
        {
            file, app, secret, noDeploy, create, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var path = Path.GetFullPath(parse.GetValue(file)!);
            if (!File.Exists(path))
            {
                throw new UserException($"{path} does not exist. Give the path of a .env file.");
            }
            var (values, problems) = Config.DotEnv.Parse(await File.ReadAllTextAsync(path, token));
            if (problems.Count > 0)
            {
                throw new UserException($"{path} has {problems.Count} problem(s); nothing was imported:\n" +
                    string.Join("\n", problems.Select(p => $"  line {p.Line}: {p.Message}")));
            }
            if (values.Count == 0)
            {
                throw new UserException($"{path} has no NAME=value lines.");
            }
            return await ChangeAsync(cli, parse, parse.GetValue(app)!,
                new ConfigChangeBody(values, null, parse.GetValue(secret), !parse.GetValue(noDeploy), Create: parse.GetValue(create)), token);
        }));
        return command;
    }

    private static Command Example(CliContext cli)
    {
        var source = new Argument<string>("source") { Description = "The app's source directory", DefaultValueFactory = _ => "." };
        var file = new Option<string>("--file") { Description = "Where to write, relative to the source", DefaultValueFactory = _ => ".env.example" };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing file" };
        var command = new Command("example", "Write a .env.example from the variables slipway.json declares (no values of secrets, ever)") { source, file, force };
        command.SetAction((parse, _) => cli.RunAsync(async () =>
        {
            var dir = Path.GetFullPath(parse.GetValue(source)!);
            var spec = Manifests.ManifestLoader.Load(dir) switch
            {
                Manifests.ManifestResult.Ok ok => ok.Spec,
                Manifests.ManifestResult.Invalid invalid => throw invalid.ToException(),
                _ => throw new InvalidOperationException(),
            };
            if (spec.Variables.Count == 0)
            {
                throw new UserException($"{dir}'s manifest declares no variables. Declare them under \"variables\" in slipway.json (see schemas/slipway.schema.json).");
            }
            var path = Path.Combine(dir, parse.GetValue(file)!);
            if (File.Exists(path) && !parse.GetValue(force))
            {
                throw new UserException($"{path} exists. Add --force to overwrite it.");
            }
            var text = new System.Text.StringBuilder("# Config this app needs. Copy to .env for local development; set them on Slipway with 'slipway env set'.\n");
            foreach (var v in spec.Variables)
            {
                var facts = new List<string> { v.Type == Manifests.VariableType.List ? $"list of {v.Items.ToString().ToLowerInvariant()}" : v.Type.ToString().ToLowerInvariant() };
                if (v.Type == Manifests.VariableType.Enum)
                {
                    facts[0] += ": " + string.Join("|", v.Values);
                }
                facts.Add(v.Required && v.Default is null ? "required" : "optional");
                if (v.Secret)
                {
                    facts.Add("secret");
                }
                if (v.MinLength is { } min)
                {
                    facts.Add($"at least {min} characters");
                }
                text.AppendLine($"# {v.Name}{(v.Description is { } d ? ": " + d : "")} ({string.Join(", ", facts)})");
                text.AppendLine(v.Default is { } value ? Config.DotEnv.Line(v.Name, value) : $"{v.Name}=");
            }
            await File.WriteAllTextAsync(path, text.ToString());
            cli.Out.WriteLine($"Wrote {spec.Variables.Count} variable(s) to {path}");
            return 0;
        }));
        return command;
    }

    private static Command Diff(CliContext cli)
    {
        var app = AppOption.Required();
        var command = new Command("diff", "What the next deployment would change in config versus the live one (secret values never shown)") { app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<ConfigDiffDto>(parse, $"v1/apps/{parse.GetValue(app)}/config/diff",
            "The live deployment runs with exactly the saved config.", diffs =>
            {
                foreach (var d in diffs)
                {
                    var sign = d.Change switch { "added" => "+", "removed" => "-", _ => "~" };
                    var detail = d.Secret ? "(secret)" : d.Change switch
                    {
                        "added" => OneLine(d.Next ?? ""),
                        "removed" => OneLine(d.Live ?? ""),
                        _ => $"{OneLine(d.Live ?? "")} -> {OneLine(d.Next ?? "")}",
                    };
                    cli.Out.WriteLine($"{sign} {d.Name} {detail}");
                }
            }, token)));
        return command;
    }

    private static async Task<int> ChangeAsync(CliContext cli, ParseResult parse, string app, ConfigChangeBody body, CancellationToken token)
    {
        using var api = cli.Api(parse);
        var result = await api.PostAsync<ConfigChangeDto>($"v1/apps/{app}/config", body, token);
        var json = parse.GetValue(CliContext.JsonOutput);
        if (!result.Changed)
        {
            cli.Print(parse, result, _ => cli.Out.WriteLine("Nothing changed."));
            return 0;
        }
        if (result.Deployment is null)
        {
            cli.Print(parse, result, _ =>
                cli.Out.WriteLine(body.Deploy ? $"Saved. {app} has no live deployment yet: the first deploy uses it." : "Saved; the next deploy uses it."));
            return 0;
        }
        if (!json)
        {
            cli.Out.WriteLine($"Saved. Releasing the live build of {app} with the new config...");
        }
        return await DeployCommands.FinishAsync(cli, api, result.Deployment, false, json, token);
    }

    private static string OneLine(string value) => value.Length > 60 || value.Contains('\n')
        ? value.ReplaceLineEndings("⏎")[..Math.Min(60, value.ReplaceLineEndings("⏎").Length)] + (value.Length > 60 ? "…" : "")
        : value;
}
