using System.CommandLine;
using System.Globalization;
using Slipway.Api;

namespace Slipway.Cli;

/// <summary>slipway errors ls | show ID | resolve ID | ignore ID | reopen ID | dsn: the errors an app's Sentry SDK
/// sent, grouped into issues per environment.</summary>
internal static class ErrorCommands
{
    public static Command Create(CliContext cli)
    {
        var errors = new Command("errors", "Errors the app's Sentry SDK reported (SENTRY_DSN is set for every process), grouped into issues");
        errors.Subcommands.Add(List(cli));
        errors.Subcommands.Add(Show(cli));
        foreach (var (action, what) in new[] { ("resolve", "Mark an issue fixed in the live release (seen in a later one, it regresses)"),
                     ("ignore", "Stop alerting on an issue (its events are still counted)"), ("reopen", "Open a resolved or ignored issue again") })
        {
            errors.Subcommands.Add(Triage(cli, action, what));
        }
        errors.Subcommands.Add(Dsn(cli));
        return errors;
    }

    private static Command List(CliContext cli)
    {
        var app = AppOption.Required();
        var since = new Option<string>("--since") { Description = "Only issues seen within this long, like 24h or 7d" };
        var status = new Option<string>("--status") { Description = "Only unresolved, resolved or ignored" };
        var limit = new Option<int>("--limit") { Description = "How many, most recently seen first", DefaultValueFactory = _ => 50 };
        var command = new Command("ls", "The environment's issues, most recently seen first") { app, since, status, limit, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() =>
        {
            var query = $"?limit={parse.GetValue(limit)}" + (parse.GetValue(since) is { } s ? $"&since={Uri.EscapeDataString(s)}" : "") +
                        (parse.GetValue(status) is { } st ? $"&status={Uri.EscapeDataString(st)}" : "");
            return cli.ListAsync<IssueView>(parse, $"v1/apps/{parse.GetValue(app)}/errors{query}",
                "No errors. Apps report them with a Sentry SDK: SENTRY_DSN is already in their environment ('slipway errors dsn' prints it).",
                list => cli.Table(["id", "status", "events", "users", "last seen", "release", "title"], list.Select(i => (IReadOnlyList<string>)
                [
                    "#" + i.Id.ToString(CultureInfo.InvariantCulture),
                    i.Status == Errors.IssueStatus.Unresolved && i.RegressedIn is not null ? "regressed" : JsonSpellings.Of(i.Status),
                    i.Count.ToString(CultureInfo.InvariantCulture), i.Users.ToString(CultureInfo.InvariantCulture),
                    i.LastSeen.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), i.LastRelease ?? "-", i.Title,
                ])), token);
        }));
        return command;
    }

    private static Command Show(CliContext cli)
    {
        var app = AppOption.Required();
        var id = new Argument<string>("id") { Description = "The issue's number (from 'slipway errors ls')" };
        var command = new Command("show", "An issue: its stack, tags, breadcrumbs and releases") { id, app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() =>
            cli.ShowAsync<IssueDetail>(parse, $"v1/apps/{parse.GetValue(app)}/errors/{Number(parse.GetValue(id))}", d => Print(cli, d), token)));
        return command;
    }

    private static void Print(CliContext cli, IssueDetail d)
    {
        var i = d.Issue;
        var o = cli.Out;
        o.WriteLine($"#{i.Id} {i.Title}");
        o.WriteLine($"  {JsonSpellings.Of(i.Status)}{(i.RegressedIn is { } r && i.Status == Errors.IssueStatus.Unresolved ? $" (regressed in {r})" : "")}" +
                    $"{(i.ResolvedIn is { } fixedIn && i.Status == Errors.IssueStatus.Resolved ? $" in {fixedIn}" : "")}, level {i.Level}, " +
                    $"{i.Count} event{(i.Count == 1 ? "" : "s")}, {i.Users} user{(i.Users == 1 ? "" : "s")}");
        o.WriteLine($"  first seen {i.FirstSeen:yyyy-MM-dd HH:mm:ss} in {i.FirstRelease ?? "no release"}, last seen {i.LastSeen:yyyy-MM-dd HH:mm:ss} in {i.LastRelease ?? "no release"}");
        if (d.Environment is not null || d.Request is not null || d.User is not null)
        {
            o.WriteLine($"  latest event {d.EventId}: environment {d.Environment ?? "-"}{(d.Request is { } req ? $", {req}" : "")}{(d.User is { } user ? $", user {user}" : "")}");
        }
        foreach (var e in d.Exceptions)
        {
            o.WriteLine();
            o.WriteLine($"{e.Type}: {e.Value}{(e.Handled == false ? " (unhandled)" : "")}");
            foreach (var f in e.Frames)
            {
                o.WriteLine($"  {(f.InApp == false ? " " : "›")} at {f.Function ?? "?"} ({f.Where}){(f.Minified is { } m ? $"  [from {m}]" : "")}");
                if (f.InApp != false && f.Context is { Length: > 0 } context)
                {
                    o.WriteLine($"        {context}");
                }
            }
        }
        if (d.Exceptions.Count == 0 && d.Message is { } message)
        {
            o.WriteLine();
            o.WriteLine(message);
        }
        if (d.Tags.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("Tags: " + string.Join(", ", d.Tags.Select(t => $"{t.Key}={t.Value}")));
        }
        if (d.Breadcrumbs.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("Breadcrumbs:");
            foreach (var b in d.Breadcrumbs)
            {
                o.WriteLine($"  {b.Timestamp ?? "",-8} {b.Category ?? "-",-12} {b.Message}");
            }
        }
        if (d.SourceMapProblems is { Count: > 0 } problems)
        {
            o.WriteLine();
            o.WriteLine("Source maps not used (those frames are shown as sent):");
            foreach (var problem in problems)
            {
                o.WriteLine($"  {problem}");
            }
        }
        if (d.Suggestion is { } suggestion)
        {
            o.WriteLine();
            o.WriteLine(suggestion);
        }
    }

    private static Command Triage(CliContext cli, string action, string description)
    {
        var app = AppOption.Required();
        var id = new Argument<string>("id") { Description = "The issue's number (from 'slipway errors ls')" };
        var command = new Command(action, description) { id, app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var issue = await api.PostAsync<IssueView>($"v1/apps/{parse.GetValue(app)}/errors/{Number(parse.GetValue(id))}/{action}", null, token);
            cli.Print(parse, issue, i => cli.Out.WriteLine($"#{i.Id} is {JsonSpellings.Of(i.Status)}" +
                (i.Status == Errors.IssueStatus.Resolved ? (i.ResolvedIn is { } r ? $" in {r}: seen in a later release, it opens again" : "") : "") + $": {i.Title}"));
            return 0;
        }));
        return command;
    }

    private static Command Dsn(CliContext cli)
    {
        var app = AppOption.Required();
        var command = new Command("dsn", "The DSN the platform gives the environment's processes (SENTRY_DSN)") { app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() =>
            cli.ShowAsync<ErrorDsnView>(parse, $"v1/apps/{parse.GetValue(app)}/errors/dsn", d => cli.Out.WriteLine(d.Dsn ?? "(the ingest listener is not running)"), token)));
        return command;
    }

    private static long Number(string? text) =>
        long.TryParse(text?.TrimStart('#'), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new UserException($"'{text}' is no issue number: give the number 'slipway errors ls' shows, like 12.");
}
