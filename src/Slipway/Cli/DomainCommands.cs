using System.CommandLine;
using System.Globalization;
using Slipway.Api;

namespace Slipway.Cli;

/// <summary>slipway domains add | ls | rm | check, and slipway acme set | show: custom domains with certificates
/// issued and renewed automatically by an ACME CA (Let's Encrypt by default).</summary>
internal static class DomainCommands
{
    public static IEnumerable<Command> Create(CliContext cli)
    {
        var domains = new Command("domains", "Custom domains of app environments, with HTTPS certificates issued and renewed automatically (ACME)");
        domains.Subcommands.Add(Add(cli));
        domains.Subcommands.Add(List(cli));
        domains.Subcommands.Add(Remove(cli));
        domains.Subcommands.Add(Renew(cli));
        domains.Subcommands.Add(Check(cli));
        yield return domains;
        var acme = new Command("acme", "Where certificates come from: the ACME directory, contact email, External Account Binding");
        acme.Subcommands.Add(Set(cli));
        acme.Subcommands.Add(Show(cli));
        yield return acme;
    }

    private static Command Add(CliContext cli)
    {
        var app = AppOption.Required();
        var host = new Argument<string>("host") { Description = "The domain, like shop.example.com (its A/AAAA record points at this server)" };
        var redirectFrom = new Option<string[]>("--redirect-from")
        {
            Description = "Another name that redirects here (308), like www.shop.example.com; repeatable. Covered by the same certificate",
            AllowMultipleArgumentsPerToken = false,
        };
        var hsts = new Option<bool>("--hsts") { Description = "Send Strict-Transport-Security (browsers then refuse plain HTTP for a year)" };
        var move = new Option<bool>("--move") { Description = "Take the domain from the app environment that has it now" };
        var command = new Command("add", "Route a domain to the app environment and get its certificate in the background")
        {
            host, app, redirectFrom, hsts, move, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var body = new DomainAddBody(parse.GetValue(host)!, parse.GetValue(redirectFrom) ?? [], parse.GetValue(hsts), parse.GetValue(move));
            var domain = await api.PostAsync<DomainDto>($"v1/apps/{parse.GetValue(app)}/domains", body, token);
            cli.Print(parse, domain, d =>
            {
                var target = d.Env == AppRef.Production ? d.App : $"{d.App} ({d.Env})";
                cli.Out.WriteLine($"{d.Host} now routes to {target}" + (d.RedirectFrom.Count > 0 ? $"; {string.Join(", ", d.RedirectFrom)} redirect to it." : "."));
                cli.Out.WriteLine(Certificate(d) + " 'slipway domains ls' shows its state.");
            });
            if (!parse.GetValue(CliContext.JsonOutput))
            {
                // Most first certificates fail on DNS: say so now rather than in a minute's event.
                var check = await api.GetAsync<Domains.DomainCheckResult>($"v1/domains/{Uri.EscapeDataString(domain.Host)}/check", token);
                if (check.Verdict is "unresolved" or "elsewhere")
                {
                    cli.Err.WriteLine($"warning: {check.Message}");
                }
            }
            return 0;
        }));
        return command;
    }

    private static Command List(CliContext cli)
    {
        var command = new Command("ls", "List domains with their app, certificate state, expiry and next renewal") { CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ShowAsync<DomainListDto>(parse, "v1/domains", list =>
        {
            if (list.Domains.Count == 0)
            {
                cli.Out.WriteLine("No domains. Add one: slipway domains add shop.example.com --app shop");
            }
            else
            {
                cli.Table(["host", "app", "env", "certificate", "expires", "renews", "redirects from"], list.Domains.Select(d => (IReadOnlyList<string>)
                    [d.Host, d.App, d.Env, d.Certificate, Date(d.NotAfter), d.Certificate == "manual" ? "by hand" : Date(d.RenewAt), string.Join(", ", d.RedirectFrom)]));
                foreach (var failing in list.Domains.Where(d => d.LastError is not null && d.Certificate == "failing"))
                {
                    cli.Err.WriteLine($"warning: {failing.Host}: {failing.LastError} Next attempt {Date(failing.NextAttemptAt, time: true)}.");
                }
            }
            cli.Out.WriteLine(list.HttpsPort is null
                ? "HTTPS is off, so no certificates are issued: start the platform with --https-port (slipway server --https-port 443)."
                : $"Certificates from {list.Acme.DirectoryName}{(list.Acme.Email is { } email ? $", contact {email}" : "")}.");
        }, token)));
        return command;
    }

    private static Command Remove(CliContext cli)
    {
        var host = new Argument<string>("host") { Description = "The domain to remove" };
        var command = new Command("rm", "Stop routing a domain and delete the certificate Slipway issued for it") { host, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var domain = await api.DeleteAsync<DomainDto>($"v1/domains/{Uri.EscapeDataString(parse.GetValue(host)!)}", token);
            cli.Print(parse, domain, d => cli.Out.WriteLine($"Removed {d.Host}: the edge no longer routes it" +
                (d.Certificate == "manual" ? " (the certificate you copied in stays: slipway certs rm " + d.Host + ")." : ".")));
            return 0;
        }));
        return command;
    }

    private static Command Renew(CliContext cli)
    {
        var host = new Argument<string>("host") { Description = "The domain whose certificate to order again" };
        var command = new Command("renew", "Order a new certificate now (after fixing DNS, or to replace one); the current one serves until then")
        {
            host, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var domain = await api.PostAsync<DomainDto>($"v1/domains/{Uri.EscapeDataString(parse.GetValue(host)!)}/renew", new { }, token);
            cli.Print(parse, domain, d => cli.Out.WriteLine(
                $"Ordering a new certificate for {d.Host} in the background; `slipway domains ls` shows when it is issued, or why not."));
            return 0;
        }));
        return command;
    }

    private static Command Check(CliContext cli)
    {
        var host = new Argument<string>("host") { Description = "The name to check" };
        var command = new Command("check", "Which addresses a name resolves to, and whether one of them is this server's") { host, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var check = await api.GetAsync<Domains.DomainCheckResult>($"v1/domains/{Uri.EscapeDataString(parse.GetValue(host)!)}/check", token);
            cli.Print(parse, check, c =>
            {
                cli.Out.WriteLine($"{c.Host} resolves to: {(c.Addresses.Count == 0 ? "nothing" : string.Join(", ", c.Addresses))}");
                cli.Out.WriteLine($"this server's addresses: {(c.LocalAddresses.Count == 0 ? "none found" : string.Join(", ", c.LocalAddresses))}");
                cli.Out.WriteLine($"{c.Verdict}: {c.Message}");
            });
            return check.Verdict is "here" or "unknown" ? 0 : 1;
        }));
        return command;
    }

    private static Command Set(CliContext cli)
    {
        var directory = new Option<string>("--directory") { Description = "The CA's ACME directory URL (default Let's Encrypt)" };
        var staging = new Option<bool>("--staging") { Description = "Let's Encrypt's staging directory: test certificates browsers do not trust" };
        var production = new Option<bool>("--letsencrypt") { Description = "Back to Let's Encrypt's production directory" };
        var email = new Option<string>("--email") { Description = "Contact address the CA writes to about expiring certificates (\"\" removes it)" };
        var eabKid = new Option<string>("--eab-kid") { Description = "External Account Binding key id; the HMAC key is read from standard input" };
        var noEab = new Option<bool>("--no-eab") { Description = "Forget the External Account Binding" };
        var command = new Command("set", "Change where certificates come from; a new CA or account binding registers a new account at the next issuance")
        {
            directory, staging, production, email, eabKid, noEab, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var chosen = new[] { parse.GetValue(directory) is not null, parse.GetValue(staging), parse.GetValue(production) }.Count(x => x);
            if (chosen > 1)
            {
                throw new UserException("Give one of --directory URL, --staging or --letsencrypt.");
            }
            var url = parse.GetValue(staging) ? Domains.AcmeSettings.LetsEncryptStaging
                : parse.GetValue(production) ? Domains.AcmeSettings.LetsEncrypt
                : parse.GetValue(directory);
            string? hmac = null;
            if (parse.GetValue(eabKid) is not null)
            {
                hmac = (Console.IsInputRedirected ? cli.In.ReadToEnd() : AccessCommands.Hidden(cli, "EAB HMAC key (not shown; Enter to finish): ")).Trim();
                if (hmac.Length == 0)
                {
                    throw new UserException("--eab-kid needs the HMAC key your CA gave with it on standard input: echo KEY | slipway acme set --eab-kid ID");
                }
            }
            if (url is null && parse.GetValue(email) is null && hmac is null && !parse.GetValue(noEab))
            {
                throw new UserException("Nothing to change: give --directory, --staging, --letsencrypt, --email, --eab-kid or --no-eab. 'slipway acme show' shows the settings.");
            }
            using var api = cli.Api(parse);
            var settings = await api.SendAsync<AcmeDto>(HttpMethod.Put, "v1/acme",
                new AcmeSetBody(url, parse.GetValue(email), parse.GetValue(eabKid), hmac, parse.GetValue(noEab)), token);
            cli.Print(parse, settings, s => PrintSettings(cli, s));
            return 0;
        }));
        return command;
    }

    private static Command Show(CliContext cli)
    {
        var command = new Command("show", "Where certificates come from") { CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ShowAsync<AcmeDto>(parse, "v1/acme", s => PrintSettings(cli, s), token)));
        return command;
    }

    private static void PrintSettings(CliContext cli, AcmeDto s)
    {
        cli.Out.WriteLine($"directory: {s.Directory}{(s.DirectoryName != s.Directory ? $" ({s.DirectoryName})" : "")}");
        cli.Out.WriteLine($"email: {s.Email ?? "(none: the CA cannot warn you about expiring certificates; slipway acme set --email ADDR)"}");
        cli.Out.WriteLine($"external account binding: {(s.EabKid is { } kid ? $"key id {kid}, HMAC key stored" : "none")}");
        cli.Out.WriteLine($"account: {(s.HasAccount ? "registered" : "registered at the first issuance")}");
    }

    private static string Certificate(DomainDto d) => d.Certificate switch
    {
        "acme" => $"Its certificate is valid until {Date(d.NotAfter)}.",
        "manual" => "It is served with the certificate you copied in (slipway certs ls).",
        "off" => "HTTPS is off on this platform, so no certificate is issued (start it with --https-port).",
        "failing" => $"Getting its certificate failed: {d.LastError}",
        _ => "Slipway is getting its certificate now, in the background; `slipway domains ls` shows when it is issued, or why not.",
    };

    private static string Date(DateTimeOffset? at, bool time = false) =>
        at?.ToString(time ? "yyyy-MM-dd HH:mm 'UTC'" : "yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-";
}
