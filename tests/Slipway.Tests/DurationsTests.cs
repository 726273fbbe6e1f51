using System.Text.Json;
using Slipway.Manifests;

namespace Slipway.Tests;

public sealed class DurationsTests
{
    // Also used by SchemaTests to keep the schema's pattern in step with the parser.
    internal static readonly (string Text, long Milliseconds)[] ValidSamples =
    [
        ("500ms", 500), ("30s", 30_000), ("5m", 300_000), ("1h", 3_600_000), ("1h30m", 5_400_000),
        ("1m30s", 90_000), ("1.5s", 1_500), ("0s", 0), ("2h0m5s250ms", 7_205_250),
    ];

    internal static readonly string[] InvalidSamples =
    [
        "", " ", " 10s", "thirty", "30", "30 s", "30S", "s", "-5s", "1.s", ".5s", "1d", "5sec", "1h 30m", "1e3s",
        "99999999999999h",
    ];

    public static TheoryData<string, long> Valid()
    {
        var data = new TheoryData<string, long>();
        foreach (var (text, milliseconds) in ValidSamples)
            data.Add(text, milliseconds);
        return data;
    }

    public static TheoryData<string> Invalid() => new(InvalidSamples);

    [Theory]
    [MemberData(nameof(Valid))]
    public void Parses_number_unit_sequences(string text, long milliseconds)
    {
        Durations.TryParse(text, out var duration).Should().BeTrue();
        duration.Should().Be(TimeSpan.FromMilliseconds(milliseconds));
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Rejects_anything_else(string text)
    {
        Durations.TryParse(text, out var duration).Should().BeFalse();
        duration.Should().Be(TimeSpan.Zero);
    }

    [Theory]
    [InlineData("30", 30_000)]
    [InlineData("0.25", 250)]
    [InlineData("\"2m\"", 120_000)]
    public void Json_numbers_are_seconds(string json, long milliseconds)
    {
        using var document = JsonDocument.Parse(json);

        Durations.TryParse(document.RootElement, out var duration).Should().BeTrue();
        duration.Should().Be(TimeSpan.FromMilliseconds(milliseconds));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("true")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("1e300")]
    public void Json_values_that_are_not_durations_are_rejected(string json)
    {
        using var document = JsonDocument.Parse(json);

        Durations.TryParse(document.RootElement, out _).Should().BeFalse();
    }

    [Theory]
    [InlineData(500, "500ms")]
    [InlineData(30_000, "30s")]
    [InlineData(600_000, "10m")]
    [InlineData(5_400_000, "1h30m")]
    [InlineData(1_500, "1s500ms")]
    [InlineData(90_061_001, "25h1m1s1ms")]
    [InlineData(0, "0s")]
    [InlineData(-30_000, "-30s")]
    public void Formats_like_a_user_writes_it(long milliseconds, string text)
    {
        var duration = TimeSpan.FromMilliseconds(milliseconds);

        Durations.Format(duration).Should().Be(text);
        if (milliseconds >= 0)
        {
            Durations.TryParse(text, out var roundTripped).Should().BeTrue();
            roundTripped.Should().Be(duration);
        }
    }

    [Fact]
    public void Formats_sub_millisecond_rests_as_a_fraction()
    {
        Durations.Format(TimeSpan.FromTicks(TimeSpan.TicksPerMillisecond / 2)).Should().Be("0.5ms");
    }

    [Fact]
    public void Command_line_windows_take_days_and_manifest_durations_do_not()
    {
        Durations.TryParseWindow("7d", out var week).Should().BeTrue();
        week.Should().Be(TimeSpan.FromDays(7));
        Durations.TryParseWindow("1d12h", out var mixed).Should().BeTrue();
        mixed.Should().Be(TimeSpan.FromHours(36));
        Durations.TryParseWindow("24h", out var day).Should().BeTrue();
        day.Should().Be(TimeSpan.FromDays(1));
        Durations.TryParse("7d", out _).Should().BeFalse("slipway.json's durations stop at hours, as its schema says");
    }
}
