using Slipway.Jobs;
using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Sources;
using Slipway.State;

namespace Slipway.Tests.Monitoring.AlertSources;

/// <summary>"cron-failed": a job of the live schedule failed its last 3 runs; "dead-messages": dead messages.</summary>
public sealed class JobSourceTests : IDisposable
{
    private readonly SourceHarness _h = new();
    private readonly JobSource _source;

    public JobSourceTests() => _source = new JobSource(_h.Jobs, _h.Store);

    public void Dispose() => _h.Dispose();

    [Fact]
    public void A_job_whose_last_runs_all_failed_fires_until_one_succeeds()
    {
        _h.Live(AppRef.Of("shop"));
        _h.Live(AppRef.Of("shop", "staging"));
        Schedule("shop", "nightly");
        Schedule("shop", "hourly");
        Schedule("shop-staging", "nightly");
        Run("shop", "nightly", CronRunStatus.Succeeded);
        Run("shop", "nightly", CronRunStatus.Failed, exitCode: 1, error: "exited with code 1");
        Run("shop", "nightly", CronRunStatus.TimedOut);
        Run("shop", "nightly", CronRunStatus.Skipped); // says nothing about the job
        var last = Run("shop", "nightly", CronRunStatus.Failed, httpStatus: 500, error: "POST /cron/nightly answered 500\nstack");
        Run("shop", "hourly", CronRunStatus.Failed);
        Run("shop", "hourly", CronRunStatus.Failed); // two in a row: under 3
        Run("shop", "gone", CronRunStatus.Failed); // no longer in the live schedule
        Run("shop", "gone", CronRunStatus.Failed);
        Run("shop", "gone", CronRunStatus.Failed);
        Run("shop-staging", "nightly", CronRunStatus.Failed);
        Run("shop-staging", "nightly", CronRunStatus.Interrupted);
        Run("shop-staging", "nightly", CronRunStatus.Failed);
        Run("shop-staging", "nightly", CronRunStatus.Failed);

        var signals = _h.Evaluate(_source);

        signals.Select(s => (s.Rule, s.Subject, s.App, s.Severity, s.Title)).Should().Equal(
            ("cron-failed", "cron:nightly", "shop", AlertSeverity.Warning, "shop: cron job nightly failed 3 times in a row"),
            ("cron-failed", "cron:nightly", "shop-staging", AlertSeverity.Warning, "shop (staging): cron job nightly failed 3 times in a row"));
        signals[0].Detail.Should().Contain($"({last.Id}, 2026-12-04 10:").And.Contain("answered 500: POST /cron/nightly answered 500.")
            .And.Contain("slipway cron runs nightly --app shop");

        _h.Set("cron-failed", "shop", new AlertRuleSettings(Count: 2));
        _h.Evaluate(_source).Select(s => (s.Subject, s.App)).Should().Equal(
            ("cron:hourly", "shop"), ("cron:nightly", "shop"), ("cron:nightly", "shop-staging"));
        _h.Set("cron-failed", "shop", new AlertRuleSettings(Count: 4));
        _h.Set("cron-failed", "shop-staging", new AlertRuleSettings(Enabled: false));
        _h.Evaluate(_source).Should().BeEmpty("shop's nightly succeeded 4 runs ago");
        _h.Clear();

        Run("shop", "nightly", CronRunStatus.Succeeded);
        _h.Evaluate(_source).Select(s => s.App).Should().Equal(["shop-staging"]);
    }

    [Fact]
    public void Dead_messages_over_the_threshold_fire_until_they_are_sent_again()
    {
        _h.Live(AppRef.Of("shop"));
        _h.Live(AppRef.Of("blog"));
        var dead = Message("shop", MessageStatus.Dead);
        Message("shop", MessageStatus.Dead);
        Message("shop", MessageStatus.Pending);
        Message("blog", MessageStatus.Delivered);

        var signal = _h.Evaluate(_source).Should().ContainSingle().Subject;

        signal.Should().BeEquivalentTo(new
        {
            Rule = "dead-messages", Subject = "messages", App = "shop", Severity = AlertSeverity.Warning, Title = "shop: 2 dead messages",
        });
        signal.Detail.Should().Contain("slipway messages ls --app shop --status dead");
        _h.Set("dead-messages", "shop", new AlertRuleSettings(Over: 2));
        _h.Evaluate(_source).Should().BeEmpty("2 is not over 2");
        _h.Clear();

        _h.Jobs.Requeue("shop", dead.Id, _h.Clock.GetUtcNow()).Should().BeTrue();
        _h.Evaluate(_source).Should().ContainSingle().Which.Title.Should().Be("shop: 1 dead message");
    }

    private void Schedule(string app, string job) => _h.Jobs.SetLastSlot(app, job, _h.Clock.GetUtcNow());

    private CronRunRecord Run(string app, string job, string status, long? exitCode = null, long? httpStatus = null, string? error = null)
    {
        _h.Clock.Advance(TimeSpan.FromMinutes(1));
        var at = JobTime.Format(_h.Clock.GetUtcNow());
        var run = new CronRunRecord(Ids.New("r"), app, job, null, CronTrigger.Schedule, at, at, at, status, 1, httpStatus, exitCode, 10, null, error);
        _h.Jobs.InsertRun(run);
        return run;
    }

    private MessageRecord Message(string app, string status)
    {
        var message = new MessageRecord(Ids.New("m"), app, "web", "/receive", null, "POST", "{}", [], JobTime.Format(_h.Clock.GetUtcNow()), 3, 1000, 3,
            status, 500, "answered 500", JobTime.Format(_h.Clock.GetUtcNow()), null);
        _h.Jobs.InsertMessage(message);
        return message;
    }
}
