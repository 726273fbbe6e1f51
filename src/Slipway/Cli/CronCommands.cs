using System.CommandLine;
using System.Globalization;
using Slipway.Jobs;

namespace Slipway.Cli;

/// <summary>slipway cron ls | runs NAME | run NAME: the live deployment's scheduled jobs and their history.</summary>
internal static class CronCommands
{
    public static Command Create(CliContext cli)
    {
        var cron = new Command("cron", "Scheduled jobs of the live deployment (declared under \"crons\" in slipway.json)");
        cron.Subcommands.Add(List(cli));
        cron.Subcommands.Add(Runs(cli));
        cron.Subcommands.Add(Run(cli));
        return cron;
    }

    private static Command List(CliContext cli)
    {
        var app = AppOption.Required();
        var command = new Command("ls", "Jobs with their schedule, next run and last status") { app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<CronView>(parse, $"v1/apps/{parse.GetValue(app)}/crons",
            $"No cron jobs in the live deployment of {parse.GetValue(app)}. Declare them under \"crons\" in slipway.json and deploy.",
            jobs => cli.Table(["name", "schedule", "runs", "next run", "last status", "last run"], jobs.Select(j => (IReadOnlyList<string>)
            [
                j.Name, j.TimeZone == "UTC" ? j.Schedule : $"{j.Schedule} ({j.TimeZone})", j.Target, j.Paused is null ? j.NextRun ?? "-" : "off: " + j.Paused,
                j.LastRun is null ? "never run" : Outcome(j.LastRun), j.LastRun?.StartedAt ?? "-",
            ])), token)));
        return command;
    }

    private static Command Runs(CliContext cli)
    {
        var app = AppOption.Required();
        var name = new Argument<string>("name") { Description = "The job" };
        var limit = new Option<int>("--limit") { Description = "How many runs, newest first", DefaultValueFactory = _ => 20 };
        var command = new Command("runs", "A job's run history: start, duration, status code or exit code, output tail") { name, app, limit, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<CronRunRecord>(parse,
            $"v1/apps/{parse.GetValue(app)}/crons/{Uri.EscapeDataString(parse.GetValue(name)!)}/runs?limit={parse.GetValue(limit)}",
            $"{parse.GetValue(name)} has not run yet. Run it now: slipway cron run {parse.GetValue(name)} --app {parse.GetValue(app)}",
            runs =>
            {
                foreach (var run in runs)
                {
                    PrintRun(cli, run);
                }
            }, token)));
        return command;
    }

    private static Command Run(CliContext cli)
    {
        var app = AppOption.Required();
        var name = new Argument<string>("name") { Description = "The job" };
        var noWait = new Option<bool>("--no-wait") { Description = "Start it and return at once" };
        var command = new Command("run", "Run a job now (its concurrency policy applies) and wait for the result") { name, app, noWait, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var path = $"v1/apps/{parse.GetValue(app)}/crons/{Uri.EscapeDataString(parse.GetValue(name)!)}/runs";
            var run = await api.PostAsync<CronRunRecord>(path, null, token);
            while (!parse.GetValue(noWait) && run.Status == CronRunStatus.Running)
            {
                await Task.Delay(200, token);
                run = await api.GetAsync<CronRunRecord>($"{path}/{run.Id}", token);
            }
            cli.Print(parse, run, r => PrintRun(cli, r));
            return run.Status is CronRunStatus.Succeeded or CronRunStatus.Running ? 0 : 1;
        }));
        return command;
    }

    private static void PrintRun(CliContext cli, CronRunRecord run)
    {
        var duration = run.DurationMs is { } ms ? $" in {TimeSpan.FromMilliseconds(ms).TotalSeconds.ToString("0.0##", CultureInfo.InvariantCulture)}s" : "";
        var attempts = run.Attempts > 1 ? $", {run.Attempts} attempts" : "";
        cli.Out.WriteLine($"{run.StartedAt}  {run.Id}  {Outcome(run)}{duration}  ({run.Trigger}{attempts})");
        if (run.Error is { } error)
        {
            cli.Out.WriteLine("  " + error);
        }
        foreach (var line in (run.Output ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(10))
        {
            cli.Out.WriteLine("  | " + line);
        }
    }

    private static string Outcome(CronRunRecord run) => run.Status + (run.HttpStatus is { } code ? $" ({code})" : run.ExitCode is { } exit ? $" (exit {exit})" : "");
}
