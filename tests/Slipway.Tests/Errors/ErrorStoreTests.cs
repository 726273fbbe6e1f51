using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Slipway.Errors;
using Slipway.Tests.Support;

namespace Slipway.Tests.Errors;

/// <summary>errors.db stays bounded: events and issues past the retention go, and an app over its share loses its
/// oldest events first while every issue keeps its latest one.</summary>
public sealed class ErrorStoreTests
{
    [Fact]
    public void Retention_removes_old_issues_and_an_app_over_its_share_loses_its_oldest_events_first()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new ErrorStore(new ErrorsOptions(TempDirs.Create("error-store")), clock, NullLogger<ErrorStore>.Instance);
        IssueRecord Add(string app, string type)
        {
            var e = EventReader.Read(JsonNode.Parse($$"""{ "message": "m", "exception": [ { "type": "{{type}}", "value": "{{new string('x', 2000)}}{{Guid.NewGuid()}}" } ] }""")!.AsObject(),
                clock.GetUtcNow());
            return store.Add(app, e, Grouping.Fingerprint(e), _ => null).Issue;
        }

        var old = Add("shop", "Old");
        Add("shop", "Old");
        clock.Advance(TimeSpan.FromDays(31));
        var busy = Add("shop", "Busy");
        for (var i = 0; i < 49; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            Add("shop", "Busy");
        }
        var rare = Add("shop", "Rare");
        var other = Add("blog", "Other");
        var perEvent = store.BytesOf("blog");
        store.Sweep(clock.GetUtcNow(), TimeSpan.FromDays(30), maxBytes: perEvent * 10).Should().BeGreaterThan(40);

        store.Find(old.Id).Should().BeNull("its events are past the retention, and so is the issue");
        store.Events(busy.Id, 100).Count.Should().BeInRange(8, 10, "the busy issue's oldest events went until the app was under its share");
        store.Events(busy.Id, 100).Select(e => e.Id).Should().Contain(store.Events(busy.Id, 1)[0].Id);
        store.Events(rare.Id, 10).Should().ContainSingle("an issue always keeps its latest event");
        store.Events(other.Id, 10).Should().ContainSingle("another app's share is its own");
        store.BytesOf("shop").Should().BeLessThanOrEqualTo(perEvent * 11);
        store.Find(busy.Id)!.Count.Should().Be(50, "counts stay what they were");
    }
}
