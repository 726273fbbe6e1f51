using System.CommandLine;
using System.Globalization;
using Slipway.Api;
using Slipway.Monitoring.StatusPages;

namespace Slipway.Cli;

/// <summary>slipway status-page create | ls | rm | note: public pages the platform serves at their own hostname, with
/// each app's uptime, 90 days of history and incidents with notes.</summary>
internal static class StatusPageCommands
{
    public static Command Create(CliContext cli)
    {
        var page = new Command("status-page", "Public status pages served by the platform at their own hostname: components, 90-day bars, incidents and notes");
        page.Subcommands.Add(CreatePage(cli));
        page.Subcommands.Add(List(cli));
        page.Subcommands.Add(Remove(cli));
        page.Subcommands.Add(Note(cli));
        return page;
    }

    private static Command CreatePage(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "A name for the page, like acme" };
        var apps = new Option<string>("--apps") { Description = "The apps it shows, comma-separated (each app's production environment is a component)", Required = true };
        var host = new Option<string>("--host") { Description = "The hostname to serve it at, like status.example.com (point its DNS at this machine)", Required = true };
        var title = new Option<string>("--title") { Description = "The page's heading (default: \"NAME status\")" };
        var command = new Command("create", "Serve a status page of some apps at a hostname of its own") { name, apps, host, title, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var body = new StatusPageCreateBody(parse.GetValue(name), parse.GetValue(host),
                (parse.GetValue(apps) ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), parse.GetValue(title));
            var created = await api.PostAsync<StatusPageView>("v1/status-pages", body, token);
            cli.Print(parse, created, p =>
            {
                cli.Out.WriteLine($"Status page {p.Name} (\"{p.Title}\") shows {string.Join(", ", p.Apps)} at {p.Url} through the edge.");
                cli.Out.WriteLine($"Point {p.Host}'s DNS at this machine; 'slipway status-page note {p.Name} \"...\" --component APP' posts an incident.");
            });
            return 0;
        }));
        return command;
    }

    private static Command List(CliContext cli)
    {
        var command = new Command("ls", "Status pages with their hostname, apps and open incidents") { CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<StatusPageView>(parse, "v1/status-pages",
            "No status pages. Make one: slipway status-page create NAME --apps APP[,APP] --host status.example.com",
            pages =>
            {
                cli.Table(["name", "url", "apps", "open incidents"], pages.Select(p => (IReadOnlyList<string>)
                [
                    p.Name, p.Url, string.Join(",", p.Apps),
                    p.OpenIncidents.Count == 0 ? "-" : string.Join("; ", p.OpenIncidents.Select(i => $"{i.Id} {i.Title} (since {Time(i.Since)})")),
                ]));
            }, token)));
        return command;
    }

    private static Command Remove(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "The page to remove" };
        var command = new Command("rm", "Stop serving a status page (its hostname is free again; incidents and notes stay with the checks)") { name, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var removed = await api.DeleteAsync<StatusPageView>($"v1/status-pages/{Uri.EscapeDataString(parse.GetValue(name)!)}", token);
            cli.Print(parse, removed, p => cli.Out.WriteLine($"Removed status page {p.Name}; {p.Host} is no longer served."));
            return 0;
        }));
        return command;
    }

    private static Command Note(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "The status page" };
        var text = new Argument<string>("text") { Description = "The note, like \"We are investigating slow checkouts\"" };
        var incident = new Option<string>("--incident") { Description = "The incident to add it to (its id from 'status-page ls')" };
        var component = new Option<string>("--component") { Description = "An app of the page: adds to its open incident opened by a person, or opens one" };
        var resolved = new Option<bool>("--resolved") { Description = "The final note: closes an incident a person opened (a check's incident closes when the check recovers)" };
        var command = new Command("note", "Post a note on an incident shown on a status page, or open or close an incident by hand")
        {
            name, text, incident, component, resolved, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var body = new StatusNoteBody(parse.GetValue(text), parse.GetValue(incident), parse.GetValue(component), parse.GetValue(resolved));
            var note = await api.PostAsync<StatusNoteView>($"v1/status-pages/{Uri.EscapeDataString(parse.GetValue(name)!)}/notes", body, token);
            cli.Print(parse, note, n => cli.Out.WriteLine($"Noted on {n.IncidentId} ({n.Title}), {(n.Open ? "open" : "closed")}: shown on status page {n.Page}."));
            return 0;
        }));
        return command;
    }

    private static string Time(DateTimeOffset at) => at.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
