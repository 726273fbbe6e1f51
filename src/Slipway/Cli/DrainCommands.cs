using System.CommandLine;
using System.Globalization;
using Slipway.Api;
using Slipway.Monitoring;

namespace Slipway.Cli;

/// <summary>slipway drains add | ls | rm: ship an app environment's logs (its instances' output, optionally its edge
/// access log) to an HTTPS endpoint or a syslog server as they are written.</summary>
internal static class DrainCommands
{
    public static Command Create(CliContext cli)
    {
        var drains = new Command("drains", "Ship an app's logs as they are written: NDJSON over HTTPS, or RFC 5424 syslog over TLS or TCP");
        drains.Subcommands.Add(Add(cli));
        drains.Subcommands.Add(List(cli));
        drains.Subcommands.Add(Remove(cli));
        return drains;
    }

    private static Command Add(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "A name for the drain, like papertrail or logs-eu" };
        var app = AppOption.Optional("The app whose logs it ships (with --env: that environment's)");
        var platform = PlatformOption("A drain of every app's logs (owner only), instead of --app");
        var url = new Option<string>("--url") { Description = "https://HOST/PATH: NDJSON batches by POST (http:// only to 127.0.0.1 or localhost)" };
        var syslog = new Option<string>("--syslog") { Description = "tls://HOST:PORT (RFC 5425) or tcp://HOST:PORT (RFC 6587): RFC 5424 syslog" };
        var header = new Option<string[]>("--header", "-H")
        {
            Description = "\"Name: value\" sent with every batch, like \"Authorization: Bearer TOKEN\"; repeatable; kept encrypted, never shown",
            AllowMultipleArgumentsPerToken = false,
        };
        var access = new Option<bool>("--access") { Description = "Ship the edge's access log of the app too" };
        var gzip = new Option<bool>("--gzip") { Description = "Gzip each HTTPS batch (Content-Encoding: gzip)" };
        var ca = new Option<string>("--ca") { Description = "A PEM file of certificates to trust for the receiver's TLS (a private CA, or its self-signed certificate)" };
        var command = new Command("add", "Ship logs to a new drain, from now on; its URL and headers are kept encrypted and never shown again")
        {
            name, app, platform, url, syslog, header, access, gzip, ca, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var path = Path(parse, app, platform, "add");
            var caFile = parse.GetValue(ca);
            string? caPem = null;
            if (caFile is not null)
            {
                try
                {
                    caPem = await File.ReadAllTextAsync(caFile, token);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new UserException($"--ca {caFile} cannot be read ({e.Message}). Give the PEM file of the receiver's CA.");
                }
            }
            using var api = cli.Api(parse);
            var body = new DrainAddBody(parse.GetValue(name), parse.GetValue(url), parse.GetValue(syslog), parse.GetValue(header) ?? [],
                parse.GetValue(access), parse.GetValue(gzip), caPem);
            var drain = await api.PostAsync<DrainView>(path, body, token);
            cli.Print(parse, drain, d =>
            {
                cli.Out.WriteLine($"Drain {d.Name} ships {Whose(d)}{(d.Access ? " and its access log" : "")} to {d.Destination} from now on.");
                cli.Out.WriteLine($"'slipway drains ls{(d.App is null ? "" : " " + Flags(d))}' shows whether it delivers.");
            });
            return 0;
        }));
        return command;
    }

    private static Command List(CliContext cli)
    {
        var app = AppOption.Optional("Only this app's drains (with --env: that environment's)");
        var command = new Command("ls", "Drains with where they send (masked), state, last delivery, dropped lines and last error") { app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<DrainView>(parse,
            parse.GetValue(app) is { } name ? $"v1/apps/{name}/drains" : "v1/drains",
            "No drains. Ship an app's logs: slipway drains add NAME --app APP --url https://HOST/PATH (or --syslog tls://HOST:PORT)",
            drains =>
            {
                cli.Table(["name", "app", "ships", "destination", "state", "last delivery", "delivered", "dropped", "buffered"], drains.Select(d => (IReadOnlyList<string>)
                [
                    d.Name, d.App is null ? "(every app)" : d.Env == AppRef.Production ? d.App : $"{d.App} ({d.Env})", d.Access ? "logs+access" : "logs",
                    d.Destination + (d.Headers.Count > 0 ? $" [{string.Join(", ", d.Headers)}]" : ""), JsonSpellings.Of(d.State),
                    Time(d.LastDeliveredAt), Count(d.Delivered), Count(d.Dropped), Count(d.Buffered),
                ]));
                foreach (var failing in drains.Where(d => d.State == DrainState.Failing))
                {
                    cli.Err.WriteLine($"warning: drain {failing.Name} is failing since {Time(failing.LastErrorAt)}: {failing.LastError}");
                }
            }, token)));
        return command;
    }

    private static Command Remove(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "The drain to remove" };
        var app = AppOption.Optional("The app whose drain it is (with --env: that environment's)");
        var platform = PlatformOption("A drain of every app");
        var command = new Command("rm", "Stop shipping to a drain at once (lines it still holds are not sent)") { name, app, platform, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var path = $"{Path(parse, app, platform, "rm")}/{Uri.EscapeDataString(parse.GetValue(name)!)}";
            using var api = cli.Api(parse);
            var drain = await api.DeleteAsync<DrainView>(path, token);
            cli.Print(parse, drain, d => cli.Out.WriteLine($"Removed drain {d.Name}: {Whose(d)} no longer go to {d.Destination}."));
            return 0;
        }));
        return command;
    }

    private static Option<bool> PlatformOption(string description) => new("--platform") { Description = description };

    /// <summary>An app's drains, or with --platform the drains of every app: one of the two, said explicitly, so a
    /// forgotten --app never makes a drain of every app.</summary>
    private static string Path(ParseResult parse, Option<string> app, Option<bool> platform, string verb) =>
        (parse.GetValue(app), parse.GetValue(platform)) switch
        {
            ({ } name, false) => $"v1/apps/{name}/drains",
            (null, true) => "v1/drains",
            (not null, true) => throw new UserException("Give --app APP (that app's logs) or --platform (every app's logs), not both."),
            _ => throw new UserException($"Which logs? Give --app APP [--env ENV] for an app's, or --platform for every app's (owner only): slipway drains {verb} NAME --app APP ..."),
        };

    private static string Whose(DrainView d) => d.App is null ? "every app's logs" : $"the logs of {(d.Env == AppRef.Production ? d.App : $"{d.App} ({d.Env})")}";

    private static string Flags(DrainView d) => d.Env == AppRef.Production ? $"--app {d.App}" : $"--app {d.App} --env {d.Env}";

    private static string Time(DateTimeOffset? at) => at?.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? "-";

    private static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
