using System.Buffers;
using System.Text;
using Slipway.Monitoring;
using Slipway.Runtime;

namespace Slipway.Tests.Monitoring;

/// <summary>The pure parts of the drains, checked exactly: the syslog frame, the NDJSON line, the severity, the backoff
/// schedule and the buffer's drop policy.</summary>
public sealed class DrainFormatTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 3, 7, 0, 0, 123, TimeSpan.FromHours(1));

    [Fact]
    public void A_syslog_frame_is_the_octet_count_then_an_RFC_5424_message_with_a_BOM_before_its_UTF_8_text()
    {
        var output = new ArrayBufferWriter<byte>();
        SyslogFrame.Write(output, "paas.example.com", AppRef.Of("shop", "staging"), new LogEntry(At, "err", "héllo\nworld", "d-1", "web", "i-web0"));

        const string Header = "<11>1 2026-12-03T06:00:00.123Z paas.example.com shop-staging i-web0 err - ";
        var message = Encoding.UTF8.GetBytes("héllo\nworld");
        var expected = Encoding.ASCII.GetBytes($"{Header.Length + 3 + message.Length} {Header}").Concat(new byte[] { 0xEF, 0xBB, 0xBF }).Concat(message);
        output.WrittenSpan.ToArray().Should().Equal(expected);
    }

    [Fact]
    public void Syslog_header_fields_are_printable_ASCII_within_their_length_or_the_nil_value()
    {
        SyslogFrame.Field(null, 48).Should().Be("-");
        SyslogFrame.Field("", 48).Should().Be("-");
        SyslogFrame.Field("a b\u00e9\tc", 48).Should().Be("a_b__c");
        SyslogFrame.Field(new string('x', 60), 48).Should().HaveLength(48);
    }

    [Fact]
    public void Severity_comes_from_the_lines_level_else_the_stream()
    {
        SyslogSeverity.Of(new LogEntry(At, "err", "boom")).Should().Be(3);
        SyslogSeverity.Of(new LogEntry(At, "out", "ok")).Should().Be(6);
        SyslogSeverity.Of(new LogEntry(At, "platform", "restarting")).Should().Be(6);
        SyslogSeverity.Of(new LogEntry(At, "access", "method=GET")).Should().Be(6);
        SyslogSeverity.Of(new LogEntry(At, "out", "{\"level\":50}", Level: LogSeverity.Error)).Should().Be(3, "a JSON line's own level wins");
        SyslogSeverity.Of(new LogEntry(At, "err", "{\"level\":\"warn\"}", Level: LogSeverity.Warn)).Should().Be(4);
        SyslogSeverity.Of(new LogEntry(At, "out", "x", Level: LogSeverity.Fatal)).Should().Be(2);
    }

    [Fact]
    public void An_NDJSON_batch_is_one_object_per_line_without_the_members_a_line_lacks()
    {
        var output = new ArrayBufferWriter<byte>();
        DrainJson.Write(output,
        [
            new DrainLine("shop", AppRef.Of("shop"), new LogEntry(At, "out", "café <b> \"quoted\"\nnext", "d-1", "web", "i-web0")),
            new DrainLine("shop-qa", AppRef.Of("shop", "qa"), new LogEntry(At, "platform", "restarting web")),
        ]);

        Encoding.UTF8.GetString(output.WrittenSpan).Should().Be(
            """{"time":"2026-12-03T06:00:00.123Z","app":"shop","env":"production","service":"web","instance":"i-web0","deployment":"d-1","stream":"out","level":"info","message":"café <b> \"quoted\"\nnext"}""" + "\n" +
            """{"time":"2026-12-03T06:00:00.123Z","app":"shop","env":"qa","stream":"platform","level":"info","message":"restarting web"}""" + "\n");
    }

    [Fact]
    public void Retries_back_off_exponentially_with_equal_jitter_up_to_a_cap()
    {
        var unavailable = new DrainAttempt(DrainOutcome.Unavailable, "503");
        var step = TimeSpan.FromMilliseconds(500);
        var cap = TimeSpan.FromMinutes(1);

        DrainBackoff.Next(1, unavailable, step, cap, 0).Should().Be(TimeSpan.FromMilliseconds(250));
        DrainBackoff.Next(1, unavailable, step, cap, 0.999999).Should().BeCloseTo(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(1));
        DrainBackoff.Next(4, unavailable, step, cap, 0).Should().Be(TimeSpan.FromSeconds(2));
        DrainBackoff.Next(30, unavailable, step, cap, 0).Should().Be(TimeSpan.FromSeconds(30));
        DrainBackoff.Next(1000, unavailable, step, cap, 0.999999).Should().BeCloseTo(cap, TimeSpan.FromMilliseconds(1));
        DrainBackoff.Next(1, new DrainAttempt(DrainOutcome.Refused, "401"), step, cap, 0).Should().Be(TimeSpan.FromSeconds(30), "a refusal is retried slowly");
        DrainBackoff.Next(1, unavailable with { RetryAfter = TimeSpan.FromSeconds(7) }, step, cap, 0).Should().Be(TimeSpan.FromSeconds(7));
        DrainBackoff.Next(1, unavailable with { RetryAfter = TimeSpan.FromHours(1) }, step, cap, 0).Should().Be(cap);
    }

    [Fact]
    public void A_full_buffer_drops_its_oldest_lines_and_counts_them()
    {
        var buffer = new DrainBuffer(maxLines: 3, maxBytes: long.MaxValue);
        for (var i = 0; i < 5; i++)
        {
            buffer.Add(Line(i, ""));
        }

        var batch = new List<DrainLine>();
        buffer.Take(batch, 10, long.MaxValue).Should().Be(3);
        batch.Select(l => l.Entry.Message).Should().Equal("2", "3", "4");
        buffer.Dropped.Should().Be(2);
        buffer.Count.Should().Be(0);
    }

    [Fact]
    public void The_buffer_is_bounded_by_memory_too_and_batches_by_size()
    {
        var big = new string('x', 1000);
        var buffer = new DrainBuffer(maxLines: 100, maxBytes: 5 * Line(0, big).Size);
        for (var i = 0; i < 8; i++)
        {
            buffer.Add(Line(i, big));
        }

        buffer.Count.Should().Be(5);
        buffer.Dropped.Should().Be(3);
        var batch = new List<DrainLine>();
        buffer.Take(batch, 100, 2 * Line(0, big).Size).Should().Be(2);
        batch[0].Entry.Message.Should().StartWith("3");
    }

    [Fact]
    public async Task Waiting_for_a_line_ends_when_one_is_added()
    {
        var buffer = new DrainBuffer(10, long.MaxValue);
        var waiting = buffer.WaitAsync(CancellationToken.None);
        waiting.IsCompleted.Should().BeFalse();

        buffer.Add(Line(1, ""));

        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        buffer.WaitAsync(CancellationToken.None).IsCompleted.Should().BeTrue("a line is there");
    }

    private static DrainLine Line(int i, string text) => new("shop", AppRef.Of("shop"), new LogEntry(At, "out", i + text));
}
