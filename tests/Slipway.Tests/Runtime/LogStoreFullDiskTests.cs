using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Runtime;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Runtime;

/// <summary>The log store on a disk that really fills up (a small tmpfs): a refused line is dropped and counted, never
/// thrown, followers still get it, and storing resumes with a notice of the gap as soon as space returns.</summary>
public sealed class LogStoreFullDiskTests : IDisposable
{
    private const string Key = "apps/fulldisk";
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly SmallDisk _disk = SmallDisk.Mount("logfull");

    public void Dispose() => _disk.Dispose();

    [Fact]
    public async Task Lines_a_full_disk_refuses_are_counted_not_thrown_and_storing_resumes_with_a_notice_when_space_returns()
    {
        var logger = new RecordingLogger<LogStore>();
        var store = new LogStore(Path.Combine(_disk.Dir, "logs"), logger: logger);
        store.Append(Key, Entry(0, "before"));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var follower = store.Subscribe(Key, cancel.Token);

        _disk.Fill();
        // Lines of one length: the segment's last page takes a few more, then every line is refused whole.
        var during = Enumerable.Range(1, 500).Select(i => $"during {i:D4} " + new string('x', 100)).ToList();
        for (var i = 0; i < during.Count; i++)
        {
            store.Append(Key, Entry(i + 1, during[i]));
        }

        var dropped = store.DroppedLines(Key);
        dropped.Should().BeGreaterThan(450, "a full disk takes only what fits in the segment's last page");
        Count(logger.Text, "cannot be written").Should().Be(1, "the platform's log warns once when drops start, not per line");
        logger.Text.Should().Contain("No space left on device");

        _disk.Free();
        store.Append(Key, Entry(600, "after space returned"));
        store.Append(Key, Entry(601, "and the next"));

        var kept = 500 - (int)dropped;
        var stored = store.Read(Key);
        var notice = $"{dropped} lines of this log could not be stored from {UtcTime.Format(T0.AddSeconds(kept + 1))} to " +
            $"{UtcTime.Format(T0.AddSeconds(500))}: the disk holding Slipway's data directory was full. Lines are stored again from here.";
        stored.Select(e => e.Message).Should().Equal(["before", .. during.Take(kept), notice, "after space returned", "and the next"]);
        stored.Single(e => e.Message == notice).Should().Match<LogEntry>(e => e.Kind == "platform" && e.Level == LogSeverity.Warn);
        store.DroppedLines(Key).Should().Be(dropped, "lines stored after the outage are not counted");
        logger.Text.Should().Contain($"is written again; {dropped} lines were dropped");
        File.ReadAllLines(Directory.GetFiles(Path.Combine(_disk.Dir, "logs", Key)).Single())
            .Should().OnlyContain(line => line.StartsWith('{') && line.EndsWith('}'), "a write the disk stopped half-way is cut back, never left torn");

        var followed = new List<string>();
        while (follower.TryRead(out var entry))
        {
            followed.Add(entry.Message);
        }
        followed.Should().Equal([.. during, notice, "after space returned", "and the next"], "a follower sees every line, stored or not");
        await cancel.CancelAsync();
    }

    [Fact]
    public void Storing_resumes_in_a_segment_started_while_the_disk_was_full()
    {
        // 4 KB segments: lines refused by the full disk go on into a new segment (an empty file takes no block), cut back each time.
        var store = new LogStore(Path.Combine(_disk.Dir, "logs"), segmentBytes: 4096);
        var line = new string('y', 200);
        for (var i = 0; i < 30; i++)
        {
            store.Append(Key, Entry(i, $"{i:D4} {line}"));
        }
        _disk.Fill();
        for (var i = 30; i < 60; i++)
        {
            store.Append(Key, Entry(i, $"{i:D4} {line}"));
        }
        var dropped = store.DroppedLines(Key);
        dropped.Should().BeGreaterThan(0);

        _disk.Free();
        store.Append(Key, Entry(100, "after"));

        var stored = store.Read(Key, tail: int.MaxValue).Select(e => e.Message).ToList();
        stored.Should().HaveCount(60 - (int)dropped + 2);
        stored[^2].Should().StartWith($"{dropped} lines of this log could not be stored");
        stored[^1].Should().Be("after");
    }

    [Fact]
    public async Task The_metrics_export_counts_the_dropped_lines_per_app_and_stream()
    {
        var stateDir = TempDirs.Create("logmetrics");
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var logs = new LogStore(Path.Combine(_disk.Dir, "logs"));
        _ = new LogMetrics(logs, new Store(Path.Combine(stateDir, "slipway.db"), TimeProvider.System), services.GetRequiredService<IMeterFactory>());
        using var app = new MeterReadings("slipway.logs", new Dictionary<string, string> { ["app"] = "fulldisk", ["stream"] = "app" });
        using var deployment = new MeterReadings("slipway.logs", new Dictionary<string, string> { ["app"] = "fulldisk", ["stream"] = "deployment" });

        _disk.Fill();
        for (var i = 0; i < 200; i++)
        {
            logs.Append(Key, Entry(i, $"{i:D4} " + new string('z', 100)));
        }
        logs.Append(LogKeys.Deployment("fulldisk", "d-1"), Entry(0, "a build line"));

        (await app.ReadAsync("slipway.logs.dropped"))["slipway.logs.dropped"].Should().Be(logs.DroppedLines(Key));
        (await deployment.ReadAsync("slipway.logs.dropped"))["slipway.logs.dropped"].Should().Be(1);
        TempDirs.Delete(stateDir);
    }

    private static int Count(string text, string part) => text.Split(part).Length - 1;

    private static LogEntry Entry(int second, string message) => new(T0.AddSeconds(second), "out", message, "d-1", "web", "i-1");
}
