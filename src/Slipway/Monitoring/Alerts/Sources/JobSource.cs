using Slipway.Jobs;
using Slipway.State;

namespace Slipway.Monitoring.Alerts.Sources;

/// <summary>Cron jobs and messages.
///
/// "cron-failed": a cron job of an environment's live schedule whose last Count runs (default 3) all failed or timed
/// out (skipped and interrupted runs do not count either way); resolves when a run succeeds or the job leaves the
/// schedule. Subject "cron:JOB". "dead-messages": more than Over (default 0) dead messages in an environment;
/// resolves when they were retried or deleted. Subject "messages". Two queries, whatever the number of jobs.</summary>
internal sealed class JobSource(JobStore jobs, Store store) : IAlertSource
{
    public const string CronFailed = "cron-failed";
    public const string DeadMessages = "dead-messages";

    public static readonly AlertRuleDefinition CronFailedDefinition = new(CronFailed,
        "A cron job's last 3 runs all failed; warning",
        new AlertRuleSettings(Count: 3, Severity: AlertSeverity.Warning), ThresholdUnit.None);

    public static readonly AlertRuleDefinition DeadMessagesDefinition = new(DeadMessages,
        "An app environment has more than 0 dead messages (every attempt failed); warning",
        new AlertRuleSettings(Over: 0, Severity: AlertSeverity.Warning), ThresholdUnit.Count);

    public IReadOnlyList<AlertRuleDefinition> Rules { get; } = [CronFailedDefinition, DeadMessagesDefinition];

    public IEnumerable<AlertSignal> Evaluate(AlertContext context, CancellationToken cancellationToken)
    {
        var apps = AppLabels.Read(store);
        return [.. CronFailures(context, apps), .. Dead(context, apps)];
    }

    private IEnumerable<AlertSignal> CronFailures(AlertContext context, AppLabels apps)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var row in apps.Rows)
        {
            if (row.LiveDeploymentId is not null && context.IsOn(CronFailed, row.Name))
            {
                counts[row.Name] = Math.Clamp(context.Settings(CronFailed, row.Name).Count ?? 3, 1, JobStore.KeptRuns);
            }
        }
        if (counts.Count == 0)
        {
            yield break;
        }
        var runs = jobs.LastOutcomes(counts.Values.Max());
        foreach (var job in runs.GroupBy(r => (r.App, r.Job)))
        {
            if (!counts.TryGetValue(job.Key.App, out var count))
            {
                continue;
            }
            var last = job.Take(count).ToList(); // newest first
            if (last.Count < count || last.Any(r => r.Status == CronRunStatus.Succeeded))
            {
                continue;
            }
            var app = apps.Ref(job.Key.App);
            var newest = last[0];
            var how = newest.Status == CronRunStatus.TimedOut ? "timed out"
                : newest.HttpStatus is { } status ? $"answered {status}"
                : newest.ExitCode is { } code ? $"exited with code {code}"
                : "failed";
            var error = AlertText.FirstLine(newest.Error);
            yield return new AlertSignal(CronFailed, "cron:" + job.Key.Job, job.Key.App, context.Settings(CronFailed, job.Key.App).Severity ?? AlertSeverity.Warning,
                $"{app}: cron job {job.Key.Job} failed {count} times in a row",
                $"The last run ({newest.Id}, {AlertText.Time(UtcTime.Parse(newest.StartedAt))}) {how}{(error.Length > 0 ? ": " + error : "")}. " +
                $"Its runs and output: slipway cron runs {job.Key.Job} {app.Flags}; run it now: slipway cron run {job.Key.Job} {app.Flags}");
        }
    }

    private IEnumerable<AlertSignal> Dead(AlertContext context, AppLabels apps)
    {
        foreach (var (key, count) in jobs.MessageCounts(MessageStatus.Dead).OrderBy(c => c.App, StringComparer.Ordinal))
        {
            if (!context.IsOn(DeadMessages, key))
            {
                continue;
            }
            var settings = context.Settings(DeadMessages, key);
            if (count <= (settings.Over ?? 0))
            {
                continue;
            }
            var app = apps.Ref(key);
            yield return new AlertSignal(DeadMessages, "messages", key, settings.Severity ?? AlertSeverity.Warning,
                $"{app}: {AlertText.Count(count, "dead message", "dead messages")}",
                $"Every attempt to deliver {(count == 1 ? "it" : "them")} failed; dead messages are kept {JobStore.KeptDead.TotalDays:0} days. " +
                $"Which and why: slipway messages ls {app.Flags} --status dead; send one again: slipway messages retry ID {app.Flags}");
        }
    }
}
