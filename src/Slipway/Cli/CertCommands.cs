using System.CommandLine;
using System.Globalization;
using Slipway.Api;

namespace Slipway.Cli;

/// <summary>slipway certs ls | add | rm: the TLS certificates the edge serves by host name.</summary>
internal static class CertCommands
{
    public static Command Create(CliContext cli)
    {
        var certs = new Command("certs", "TLS certificates served by host name (files per host, plus a development certificate for *.localhost)");
        certs.Subcommands.Add(List(cli));
        certs.Subcommands.Add(Add(cli));
        certs.Subcommands.Add(Remove(cli));
        return certs;
    }

    private static Command List(CliContext cli)
    {
        var command = new Command("ls", "List served certificates and any host whose files could not be used") { CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ShowAsync<CertificateListDto>(parse, "v1/certs", list =>
        {
            cli.Table(["host", "source", "not after", "subject", "names"], list.Certificates.Select(c => (IReadOnlyList<string>)
                [c.Host, c.Source, c.NotAfter.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), c.Subject, string.Join(", ", c.Names)]));
            foreach (var problem in list.Problems)
            {
                cli.Err.WriteLine($"warning: {problem.Host}: {problem.Message}");
            }
            cli.Out.WriteLine(list.HttpsPort is { } port
                ? $"Served over HTTPS on port {port}."
                : "HTTPS is off: the platform serves these once it runs with --https-port (slipway up --https-port 8443, or slipway server --https-port 443).");
        }, token)));
        return command;
    }

    private static Command Add(CliContext cli)
    {
        var host = new Argument<string>("host") { Description = "The host name (shop.example.com), or *.example.com for a wildcard certificate" };
        var cert = new Option<string>("--cert") { Description = "PEM file: the certificate, then any intermediates (fullchain.pem)", Required = true };
        var key = new Option<string>("--key") { Description = "PEM file: the unencrypted private key (privkey.pem)", Required = true };
        var command = new Command("add", "Install a certificate for a host; it is checked (key, dates, host name) and served at once")
        {
            host, cert, key, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var body = new CertificateInstallBody(parse.GetValue(host)!, ReadPem(parse.GetValue(cert)!, "--cert"), ReadPem(parse.GetValue(key)!, "--key"));
            using var api = cli.Api(parse);
            var installed = await api.PostAsync<CertificateDto>("v1/certs", body, token);
            cli.Print(parse, installed, c => cli.Out.WriteLine($"Serving {c.Host} over TLS with {c.Subject} ({string.Join(", ", c.Names)}), " +
                $"valid until {c.NotAfter.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}."));
            return 0;
        }));
        return command;
    }

    private static Command Remove(CliContext cli)
    {
        var host = new Argument<string>("host") { Description = "The host whose certificate files to delete" };
        var command = new Command("rm", "Stop serving a host's certificate and delete its files") { host };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            await api.DeleteAsync<System.Text.Json.JsonElement>($"v1/certs/{Uri.EscapeDataString(parse.GetValue(host)!)}", token);
            cli.Out.WriteLine($"Removed the certificate for {parse.GetValue(host)}.");
            return 0;
        }));
        return command;
    }

    private static string ReadPem(string path, string option)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserException($"Cannot read {option} {path}: {e.Message}. Give the path of a PEM file you can read.");
        }
    }
}
