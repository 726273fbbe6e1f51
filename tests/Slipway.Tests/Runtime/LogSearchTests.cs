using Slipway.Runtime;
using Slipway.Tests.Support;

namespace Slipway.Tests.Runtime;

/// <summary>Searching a stored log: --grep, --level, --since and --until together, over many segments, and the errors
/// a user gets for a query that cannot work.</summary>
public sealed class LogSearchTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 0, 0, TimeSpan.Zero);
    private readonly string _dir = TempDirs.Create("logsearch");

    public void Dispose() => TempDirs.Delete(_dir);

    [Fact]
    public void Grep_level_since_and_until_combine_over_many_segments()
    {
        var store = new LogStore(_dir, segmentBytes: 2_000, maxBytesPerKey: 64 << 20);
        for (var i = 0; i < 600; i++)
        {
            // A line a minute; every 5th on stderr, every 7th a pino line, one in 50 mentions a timeout.
            var message = i % 7 == 0 ? $$"""{"level":{{(i % 14 == 0 ? 50 : 30)}},"msg":"job {{i}} done"}""" : $"request {i} served" + (i % 50 == 0 ? " after a timeout" : "");
            store.Append("apps/shop", new LogEntry(T0.AddMinutes(i), i % 5 == 0 ? "err" : "out", message, "d-1", i % 2 == 0 ? "web" : "worker", "i-1",
                i % 7 == 0 ? LogLevels.OfLine(message) : null));
        }
        Directory.GetFiles(Path.Combine(_dir, "apps", "shop")).Length.Should().BeGreaterThan(20, "the search crosses segments");

        Numbers(store.Read("apps/shop", new LogQuery { Grep = LogPattern.Parse("timeout") }))
            .Should().Equal(Enumerable.Range(0, 600).Where(i => i % 50 == 0 && i % 7 != 0));
        Numbers(store.Read("apps/shop", new LogQuery { Grep = LogPattern.Parse(@"^request \d*5 served$") }))
            .Should().Equal(Enumerable.Range(0, 600).Where(i => i % 10 == 5 && i % 7 != 0 && i % 50 != 0));
        Numbers(store.Read("apps/shop", new LogQuery { Level = LogSeverity.Error }))
            .Should().Equal(Enumerable.Range(0, 600).Where(i => i % 14 == 0 || (i % 5 == 0 && i % 7 != 0)),
                "a pino line says its own level (error at 50, info at 30 even on stderr); a plain stderr line is an error");
        Numbers(store.Read("apps/shop", new LogQuery { Level = LogSeverity.Error, Grep = LogPattern.Parse("JOB", ignoreCase: true) }))
            .Should().Equal(Enumerable.Range(0, 600).Where(i => i % 14 == 0));
        Numbers(store.Read("apps/shop", new LogQuery { Since = T0.AddMinutes(100), Until = T0.AddMinutes(300), Grep = LogPattern.Parse("timeout") }))
            .Should().Equal(100, 150, 200, 250, 300);
        Numbers(store.Read("apps/shop", new LogQuery { Since = T0.AddMinutes(590), Service = "web" }))
            .Should().Equal(590, 592, 594, 596, 598);
        Numbers(store.Read("apps/shop", new LogQuery { Until = T0.AddMinutes(3) })).Should().Equal(0, 1, 2, 3);
        Numbers(store.Read("apps/shop", new LogQuery { Grep = LogPattern.Parse("served") }, tail: 3)).Should().Equal(597, 598, 599);
        Numbers(store.Read("apps/shop", new LogQuery { Grep = LogPattern.Parse("timeout") }, tail: 2)).Should().Equal(500, 550);
        store.Read("apps/shop", new LogQuery { Grep = LogPattern.Parse("no such line") }).Should().BeEmpty();
    }

    [Fact]
    public void Grep_matches_the_message_as_printed_whatever_JSON_escapes_in_the_stored_line()
    {
        var store = new LogStore(_dir);
        string[] messages =
        [
            """{"level":"error","msg":"say \"hi\" to café"}""", "path C:\\temp\\x <b>&amp;</b>", "\u212Aelvin is a unit", "tab\there", "plain",
        ];
        for (var i = 0; i < messages.Length; i++)
        {
            store.Append("apps/shop", new LogEntry(T0.AddSeconds(i), "out", messages[i]));
        }

        string[] Grep(string pattern, bool ignoreCase = false) =>
            store.Read("apps/shop", new LogQuery { Grep = LogPattern.Parse(pattern, ignoreCase) }).Select(e => e.Message).ToArray();
        Grep("\"msg\":\"say").Should().Equal(messages[0]);
        Grep(@"\\""hi\\"" to café").Should().Equal(messages[0]);
        Grep(@"C:\\temp\\x <b>&amp;").Should().Equal(messages[1]);
        Grep("KELVIN IS", ignoreCase: true).Should().Equal(messages[2]);
        Grep("tab\there").Should().Equal(messages[3]);
        Grep("^plain$").Should().Equal(messages[4]);
    }

    [Fact]
    public void Lines_stamped_a_moment_before_an_older_line_are_still_found_by_time()
    {
        // Two writers: the second stamped its lines first but took the lock later, so a segment's times go back a little.
        var store = new LogStore(_dir, segmentBytes: 300, maxBytesPerKey: 64 << 20);
        for (var i = 0; i < 40; i++)
        {
            store.Append("apps/shop", new LogEntry(T0.AddSeconds(i * 10), "out", $"line {i}"));
            store.Append("apps/shop", new LogEntry(T0.AddSeconds(i * 10 - 30), "out", $"late {i}"));
        }

        var late = store.Read("apps/shop", new LogQuery { Since = T0.AddSeconds(200), Until = T0.AddSeconds(210) }).Select(e => e.Message);

        late.Should().Equal("line 20", "line 21", "late 23", "late 24");
    }

    [Fact]
    public void A_search_stops_when_asked()
    {
        var store = new LogStore(_dir);
        for (var i = 0; i < 10_000; i++)
        {
            store.Append("apps/shop", new LogEntry(T0.AddSeconds(i), "out", $"line {i}"));
        }
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        var act = () => store.Read("apps/shop", new LogQuery { Grep = LogPattern.Parse(@"\d") }, cancellationToken: cancelled.Token);

        act.Should().Throw<OperationCanceledException>();
    }

    private static IEnumerable<int> Numbers(IEnumerable<LogEntry> entries) =>
        entries.Select(e => (int)(e.At - T0).TotalMinutes);
}
