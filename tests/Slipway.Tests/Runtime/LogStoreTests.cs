using Slipway.Runtime;
using Slipway.Tests.Support;

namespace Slipway.Tests.Runtime;

public sealed class LogStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly string _dir = TempDirs.Create("logs");

    public void Dispose() => TempDirs.Delete(_dir);

    [Fact]
    public void Entries_are_read_back_in_the_order_they_were_appended()
    {
        var store = new LogStore(_dir);
        for (var i = 0; i < 20; i++)
        {
            store.Append("apps/shop", Entry(i, $"line {i}"));
        }

        store.Read("apps/shop").Select(e => e.Message).Should().Equal(Enumerable.Range(0, 20).Select(i => $"line {i}"));
    }

    [Fact]
    public void Every_field_of_an_entry_survives_the_round_trip()
    {
        var store = new LogStore(_dir);
        var entry = new LogEntry(T0.AddMilliseconds(123), "err", "ünï \"quoted\" \\ \t tab", "d-1", "web", "i-1");
        store.Append("apps/shop", entry);

        store.Read("apps/shop").Should().Equal(entry);
    }

    [Fact]
    public void A_key_never_written_reads_empty()
    {
        new LogStore(_dir).Read("apps/nothing").Should().BeEmpty();
    }

    [Fact]
    public void Keys_are_separate_streams()
    {
        var store = new LogStore(_dir);
        store.Append("apps/shop", Entry(0, "shop"));
        store.Append("apps/blog", Entry(0, "blog"));
        store.Append("deployments/d-1", Entry(0, "deploy"));

        store.Read("apps/shop").Select(e => e.Message).Should().Equal("shop");
        store.Read("apps/blog").Select(e => e.Message).Should().Equal("blog");
        store.Read("deployments/d-1").Select(e => e.Message).Should().Equal("deploy");
    }

    [Fact]
    public async Task Concurrent_appends_are_all_kept_whole()
    {
        var store = new LogStore(_dir, segmentBytes: 16 * 1024, maxBytesPerKey: 64 << 20);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(() =>
        {
            for (var i = 0; i < 300; i++)
            {
                store.Append("apps/shop", Entry(i, $"w{writer} {i} " + new string('y', 100)));
            }
        })));

        var entries = store.Read("apps/shop");
        entries.Should().HaveCount(2400);
        foreach (var writer in Enumerable.Range(0, 8))
        {
            entries.Where(e => e.Message.StartsWith($"w{writer} ", StringComparison.Ordinal))
                .Select(e => int.Parse(e.Message.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture))
                .Should().Equal(Enumerable.Range(0, 300), "each writer's lines stay in its order");
        }
    }

    [Fact]
    public void Since_keeps_entries_at_or_after_the_time()
    {
        var store = new LogStore(_dir);
        for (var i = 0; i < 5; i++)
        {
            store.Append("apps/shop", Entry(i, $"s{i}"));
        }

        store.Read("apps/shop", new LogQuery { Since = T0.AddSeconds(3) }).Select(e => e.Message).Should().Equal("s3", "s4");
    }

    [Fact]
    public void A_query_keeps_only_matching_entries()
    {
        var store = new LogStore(_dir);
        store.Append("apps/shop", Entry(0, "a", kind: "out"));
        store.Append("apps/shop", Entry(1, "b", kind: "err"));
        store.Append("apps/shop", Entry(2, "c", kind: "out"));

        store.Read("apps/shop", new LogQuery { Level = LogSeverity.Error }).Select(e => e.Message).Should().Equal("b");
    }

    [Fact]
    public void Tail_keeps_the_last_entries_after_filtering()
    {
        var store = new LogStore(_dir);
        for (var i = 0; i < 10; i++)
        {
            store.Append("apps/shop", Entry(i, $"m{i}", kind: i % 2 == 0 ? "out" : "err"));
        }

        store.Read("apps/shop", tail: 3).Select(e => e.Message).Should().Equal("m7", "m8", "m9");
        store.Read("apps/shop", new LogQuery { Level = LogSeverity.Error }, tail: 2).Select(e => e.Message).Should().Equal("m7", "m9");
        store.Read("apps/shop", tail: 0).Should().BeEmpty();
    }

    [Fact]
    public void Segments_rotate_and_the_oldest_are_deleted_to_keep_a_key_near_its_budget()
    {
        const long segmentBytes = 1_000, budget = 4_000;
        var store = new LogStore(_dir, segmentBytes, budget);

        for (var i = 0; i < 500; i++)
        {
            store.Append("apps/shop", Entry(i, $"entry {i:D4} " + new string('x', 40)));
        }

        var segments = Directory.GetFiles(Path.Combine(_dir, "apps", "shop"), "*.ndjson");
        segments.Length.Should().BeGreaterThan(1);
        // The newest segment fills after the last pruning, so a key may exceed its budget by less than one segment.
        segments.Sum(f => new FileInfo(f).Length).Should().BeLessThan(budget + segmentBytes);
        var kept = store.Read("apps/shop");
        kept.Last().Message.Should().StartWith("entry 0499");
        kept.First().Message.Should().NotStartWith("entry 0000", "the oldest segments were deleted");
        kept.Select(e => e.At).Should().BeInAscendingOrder();
        kept.Select(e => int.Parse(e.Message[6..10], System.Globalization.CultureInfo.InvariantCulture))
            .Should().Equal(Enumerable.Range(500 - kept.Count, kept.Count), "what is kept is a contiguous tail");
    }

    [Fact]
    public void A_new_store_on_the_same_directory_continues_the_stream()
    {
        var before = new LogStore(_dir);
        before.Append("apps/shop", Entry(0, "before restart"));

        var after = new LogStore(_dir);
        after.Read("apps/shop").Select(e => e.Message).Should().Equal("before restart");
        after.Append("apps/shop", Entry(1, "after restart"));

        after.Read("apps/shop").Select(e => e.Message).Should().Equal("before restart", "after restart");
        Directory.GetFiles(Path.Combine(_dir, "apps", "shop")).Should().HaveCount(1, "a segment with room is reopened, not abandoned");
    }

    [Fact]
    public void A_torn_last_line_is_skipped()
    {
        var dir = Path.Combine(_dir, "apps", "shop");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "00000001.ndjson"),
            """{"t":"2026-01-02T03:04:05+00:00","k":"out","m":"whole"}""" + "\n" + """{"t":"2026-01-02T03:04:06+00:00","k":"out","m":"to""");

        new LogStore(_dir).Read("apps/shop").Select(e => e.Message).Should().Equal("whole");
    }

    [Fact]
    public void The_first_entry_appended_after_a_torn_line_is_kept()
    {
        var dir = Path.Combine(_dir, "apps", "shop");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "00000001.ndjson"),
            """{"t":"2026-01-02T03:04:05+00:00","k":"out","m":"whole"}""" + "\n" + """{"t":"2026-01-02T03:04:06+00:00","k":"out","m":"to""");
        var store = new LogStore(_dir);

        store.Append("apps/shop", Entry(10, "first after the crash"));
        store.Append("apps/shop", Entry(11, "second after the crash"));

        store.Read("apps/shop").Select(e => e.Message).Should().Equal("whole", "first after the crash", "second after the crash");
    }

    [Fact]
    public async Task A_subscriber_gets_entries_appended_after_it_subscribed()
    {
        var store = new LogStore(_dir);
        store.Append("apps/shop", Entry(0, "before"));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var reader = store.Subscribe("apps/shop", cancel.Token);
        store.Append("apps/shop", Entry(1, "one"));
        store.Append("apps/blog", Entry(1, "other key"));
        store.Append("apps/shop", Entry(2, "two"));

        (await reader.ReadAsync(cancel.Token)).Message.Should().Be("one");
        (await reader.ReadAsync(cancel.Token)).Message.Should().Be("two");
        reader.TryRead(out _).Should().BeFalse();
    }

    [Fact]
    public async Task A_subscription_completes_when_its_token_is_cancelled()
    {
        var store = new LogStore(_dir);
        using var cancel = new CancellationTokenSource();
        var reader = store.Subscribe("apps/shop", cancel.Token);
        store.Append("apps/shop", Entry(0, "seen"));

        await cancel.CancelAsync();
        store.Append("apps/shop", Entry(1, "after cancel"));

        // ReadAllAsync ends only once the channel is completed; the timeout fails the test if it never is.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var received = new List<string>();
        await foreach (var entry in reader.ReadAllAsync(timeout.Token))
        {
            received.Add(entry.Message);
        }
        received.Should().Equal("seen");
        reader.Completion.IsCompleted.Should().BeTrue();
    }

    [Fact]
    public void Delete_removes_a_stream_and_a_later_append_starts_a_new_one()
    {
        var store = new LogStore(_dir);
        store.Append("apps/shop", Entry(0, "old"));

        store.Delete("apps/shop");
        store.Read("apps/shop").Should().BeEmpty();
        store.Append("apps/shop", Entry(1, "new"));

        store.Read("apps/shop").Select(e => e.Message).Should().Equal("new");
    }

    private static LogEntry Entry(int second, string message, string kind = "out") =>
        new(T0.AddSeconds(second), kind, message, "d-1", "web", "i-1");
}
