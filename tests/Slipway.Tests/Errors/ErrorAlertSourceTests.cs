using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Slipway.Errors;
using Slipway.Monitoring.Alerts;
using Slipway.Tests.Support;

namespace Slipway.Tests.Errors;

/// <summary>The error alerts from the store's own rows: a new issue, a regression, a spike over the day's hourly average,
/// and none for an ignored issue.</summary>
public sealed class ErrorAlertSourceTests
{
    [Fact]
    public void A_new_issue_a_regression_and_a_spike_alert_and_an_ignored_issue_does_not()
    {
        var dir = TempDirs.Create("error-alerts");
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 0, 30, 0, TimeSpan.Zero));
        var errors = new ErrorStore(new ErrorsOptions(dir), clock, NullLogger<ErrorStore>.Instance);
        var state = new Slipway.State.Store(Path.Combine(dir, "slipway.db"), TimeProvider.System);
        var orders = new Dictionary<string, long> { ["r1"] = 1, ["r2"] = 2 };
        (IssueRecord Issue, IngestOutcome Outcome) Add(string type, string release)
        {
            var e = EventReader.Read(JsonNode.Parse($$"""
                { "release": "{{release}}", "exception": { "values": [ { "type": "{{type}}", "value": "x",
                  "stacktrace": { "frames": [ { "filename": "app.js", "function": "{{type}}Handler", "in_app": true } ] } } ] } }
                """)!.AsObject(), clock.GetUtcNow());
            return errors.Add("shop", e, Grouping.Fingerprint(e), r => r is not null && orders.TryGetValue(r, out var o) ? o : null);
        }

        // A steady issue: one event an hour for a day.
        for (var hour = 0; hour < 24; hour++)
        {
            Add("Steady", "r1");
            clock.Advance(TimeSpan.FromHours(1));
        }
        var regressing = Add("Fixed", "r1").Issue;
        errors.SetStatus(regressing.Id, IssueStatus.Resolved, "r1");
        Add("Fixed", "r1").Outcome.Should().Be(IngestOutcome.StillResolved, "the release it was resolved in");
        clock.Advance(TimeSpan.FromHours(2));
        var steady = default(IssueRecord);
        for (var i = 0; i < 15; i++)
        {
            steady = Add("Steady", "r1").Issue;
        }
        Add("Fixed", "r2").Outcome.Should().Be(IngestOutcome.Regressed);
        var fresh = Add("Fresh", "r2").Issue;

        var source = new ErrorAlertSource(errors, state);
        var context = new AlertContext(clock.GetUtcNow(), (rule, app) => new AlertRuleSettings(Enabled: true, Over: rule == ErrorAlertSource.Spike ? 10 : null));
        var signals = source.Evaluate(context, CancellationToken.None).ToList();
        signals.Select(s => (s.Rule, s.Subject)).Should().BeEquivalentTo(new[]
        {
            (ErrorAlertSource.New, $"issue:{fresh.Id}"),
            (ErrorAlertSource.Regression, $"issue:{regressing.Id}"),
            (ErrorAlertSource.Spike, $"issue:{steady!.Id}"),
        });
        signals.Single(s => s.Rule == ErrorAlertSource.Regression).Detail.Should().Contain("Resolved in r1, seen again in r2").And.Contain($"slipway errors show {regressing.Id} --app shop");
        signals.Single(s => s.Rule == ErrorAlertSource.Spike).Detail.Should().Contain("15 events in the last hour");

        errors.SetStatus(steady.Id, IssueStatus.Ignored, null);
        errors.SetStatus(fresh.Id, IssueStatus.Ignored, null);
        source.Evaluate(context, CancellationToken.None).Select(s => s.Rule).Should().Equal(ErrorAlertSource.Regression);
    }
}
