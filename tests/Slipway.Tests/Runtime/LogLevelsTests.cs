using Slipway.Runtime;

namespace Slipway.Tests.Runtime;

/// <summary>The level of a captured line: what a JSON line declares, else its stream's.</summary>
public sealed class LogLevelsTests
{
    [Theory]
    [InlineData("""{"level":10,"time":1733300000000,"msg":"x"}""", "trace")]
    [InlineData("""{"level":20,"msg":"x"}""", "debug")]
    [InlineData("""{"level":30,"time":1733300000000,"pid":42,"hostname":"box","msg":"request completed"}""", "info")]
    [InlineData("""{"level":40,"msg":"x"}""", "warn")]
    [InlineData("""{"level":50,"msg":"x","err":{"type":"Error","message":"boom","stack":"Error: boom\n    at x"}}""", "error")]
    [InlineData("""{"level":60,"msg":"x"}""", "fatal")]
    [InlineData("""{"level":35,"msg":"a custom level between info and warn"}""", "info")]
    [InlineData("""{"level":55.5,"msg":"x"}""", "error")]
    public void Pino_and_bunyan_numbers_are_their_levels(string line, string expected) =>
        Spelled(LogLevels.OfLine(line)).Should().Be(expected);

    [Theory]
    [InlineData("""{"level":"warn","message":"disk almost full","timestamp":"2026-12-04T10:00:00Z"}""", "warn")] // winston
    [InlineData("""{"event":"user logged in","level":"info","timestamp":"2026-12-04T10:00:00Z"}""", "info")] // structlog
    [InlineData("""{"levelname":"WARNING","message":"slow query","name":"db"}""", "warn")] // python-json-logger
    [InlineData("""{"severity":"ERROR","message":"x"}""", "error")] // Google Cloud
    [InlineData("""{"lvl":"dbg","msg":"x"}""", "debug")]
    [InlineData("""{"level":"critical","msg":"x"}""", "fatal")]
    [InlineData("""{"level":"dpanic","msg":"x"}""", "error")] // zap
    [InlineData("""{"log.level":"error","message":"x","ecs.version":"1.6.0"}""", "error")] // ECS
    [InlineData("""{"Timestamp":"2026-12-04T10:00:00Z","EventId":0,"LogLevel":"Warning","Category":"App","Message":"x"}""", "warn")] // .NET JSON console
    [InlineData("""{"level":"TRACE","msg":"x"}""", "trace")]
    [InlineData("""{"level":"custom","severity":"NOTICE","msg":"an unknown name is passed over for a known one"}""", "info")]
    public void Level_names_are_read_in_any_case_from_the_fields_loggers_use(string line, string expected) =>
        Spelled(LogLevels.OfLine(line)).Should().Be(expected);

    [Theory]
    [InlineData("""{"@t":"2026-12-04T10:00:00.000Z","@mt":"Hello {Name}","Name":"Ada"}""", "info")] // no @l: Information
    [InlineData("""{"@t":"2026-12-04T10:00:00.000Z","@m":"Hello Ada","@i":"a1b2c3d4"}""", "info")]
    [InlineData("""{"@t":"2026-12-04T10:00:00.000Z","@mt":"Payment {Id} failed","@l":"Error","Id":7,"@x":"System.Exception: x"}""", "error")]
    [InlineData("""{"@t":"2026-12-04T10:00:00.000Z","@mt":"x","@l":"Warning"}""", "warn")]
    [InlineData("""{"@t":"2026-12-04T10:00:00.000Z","@mt":"x","@l":"Verbose"}""", "trace")]
    [InlineData("""{"@t":"2026-12-04T10:00:00.000Z","@mt":"x","@l":"Fatal"}""", "fatal")]
    public void Serilog_compact_events_say_their_level_with_at_l_and_are_information_without_it(string line, string expected) =>
        Spelled(LogLevels.OfLine(line)).Should().Be(expected);

    [Theory]
    [InlineData("GET /api/items 200 12ms")]
    [InlineData("")]
    [InlineData("{")]
    [InlineData(" {\"level\":\"error\"}")] // only a line that starts with '{' is looked at
    [InlineData("{\"level\":\"error\"")] // cut short
    [InlineData("{\"level\":\"error\"} and then text")]
    [InlineData("{\"level\":\"error\"}{\"level\":\"info\"}")]
    [InlineData("{level: 'error'}")] // a JavaScript object printed with console.log, not JSON
    [InlineData("{\"level\":\"error\",}")]
    [InlineData("{\"level\":\"loud\",\"msg\":\"x\"}")] // no level we know
    [InlineData("{\"level\":5,\"msg\":\"x\"}")] // syslog's numbers count the other way: not guessed
    [InlineData("{\"level\":null,\"msg\":\"x\"}")]
    [InlineData("{\"level\":[\"error\"],\"msg\":\"x\"}")]
    [InlineData("{\"req\":{\"level\":\"error\"},\"msg\":\"only a top-level field counts\"}")]
    [InlineData("{\"msg\":\"a JSON line without a level\"}")]
    [InlineData("{\"level\":\"\\ud800\",\"msg\":\"half a surrogate pair\"}")]
    [InlineData("{\"level\":\"error\",\"msg\":\"\\ud800 lone surrogate escape is valid JSON but this one is cut\\u12\"}")]
    public void A_line_that_declares_no_level_we_know_has_none_and_nothing_throws(string line) =>
        LogLevels.OfLine(line).Should().BeNull();

    [Theory]
    [InlineData("[\"level\",\"error\"]")]
    [InlineData("\"error\"")]
    [InlineData("50")]
    [InlineData("null")]
    public void JSON_that_is_not_an_object_has_no_level(string line) =>
        LogLevels.OfLine(line).Should().BeNull();

    [Fact]
    public void Huge_lines_are_read_whole_and_bad_huge_lines_are_plain()
    {
        var payload = new string('x', 4 << 20);
        LogLevels.OfLine($$"""{"msg":"big","data":"{{payload}}","level":"error"}""").Should().Be(LogSeverity.Error, "the level may come after megabytes");
        LogLevels.OfLine($$"""{"level":"error","data":"{{payload}}""").Should().BeNull("cut short after megabytes");
        LogLevels.OfLine("{\"level\":\"error\",\"deep\":" + new string('[', 100_000) + new string(']', 100_000) + "}")
            .Should().BeNull("nesting deeper than 64 is not a log line");
        LogLevels.OfLine("{\"level\":\"warn\",\"msg\":\"" + new string('é', 300_000) + "\"}").Should().Be(LogSeverity.Warn, "non-ASCII text is measured in UTF-8 bytes");
    }

    [Fact]
    public void Output_lines_keep_their_text_and_get_the_level_they_declare_else_their_streams()
    {
        var at = DateTimeOffset.UnixEpoch;
        var plainOut = LogEntry.Output(new OutputLine(OutputStream.Stdout, "listening on 3000", at), "d-1", "web", "i-1");
        var plainErr = LogEntry.Output(new OutputLine(OutputStream.Stderr, "Error: boom", at), "d-1", "web", "i-1");
        var json = """{"level":50,"msg":"payment failed"}""";
        var jsonOut = LogEntry.Output(new OutputLine(OutputStream.Stdout, json, at), "d-1", "web", "i-1");
        var infoOnErr = LogEntry.Output(new OutputLine(OutputStream.Stderr, """{"levelname":"INFO","message":"python logs to stderr"}""", at), null, null, null);

        (plainOut.Kind, plainOut.Level, plainOut.EffectiveLevel).Should().Be(("out", (LogSeverity?)null, LogSeverity.Info));
        (plainErr.Kind, plainErr.Level, plainErr.EffectiveLevel).Should().Be(("err", (LogSeverity?)null, LogSeverity.Error));
        (jsonOut.Message, jsonOut.Level, jsonOut.EffectiveLevel).Should().Be((json, LogSeverity.Error, LogSeverity.Error), "the line is kept whole");
        infoOnErr.EffectiveLevel.Should().Be(LogSeverity.Info, "a line's own level wins over its stream's");
    }

    [Theory]
    [InlineData("warn", "warn")]
    [InlineData("WARNING", "warn")]
    [InlineData("err", "error")]
    [InlineData("information", "info")]
    public void Names_parse_as_users_and_loggers_write_them(string name, string expected)
    {
        LogLevels.TryParse(name, out var level).Should().BeTrue();
        JsonSpellings.Of(level).Should().Be(expected);
        LogLevels.TryParse("loud", out _).Should().BeFalse();
    }

    [Fact]
    public void The_level_is_an_optional_short_property_so_older_files_still_read()
    {
        var old = System.Text.Json.JsonSerializer.Deserialize("""{"t":"2026-01-02T03:04:05+00:00","k":"err","m":"x"}""", LogJson.Default.LogEntry)!;
        old.Level.Should().BeNull();
        old.EffectiveLevel.Should().Be(LogSeverity.Error);
        System.Text.Json.JsonSerializer.Serialize(old, LogJson.Default.LogEntry).Should().NotContain("\"l\"", "absent when null");
        System.Text.Json.JsonSerializer.Serialize(old with { Level = LogSeverity.Warn }, LogJson.Default.LogEntry).Should().EndWith(",\"l\":\"warn\"}");
    }

    private static string? Spelled(LogSeverity? level) => level is { } l ? JsonSpellings.Of(l) : null;
}
