using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Slipway.Runtime;

namespace Slipway.Tests.Runtime;

/// <summary>--grep patterns: errors a user can act on, and a prefilter literal that never hides a matching line.</summary>
public sealed class LogPatternTests
{
    [Theory]
    [InlineData("(unclosed")]
    [InlineData("[a-")]
    [InlineData("*at start")]
    [InlineData(@"trailing\")]
    public void An_invalid_pattern_is_a_user_error_that_says_what_is_wrong(string pattern)
    {
        var act = () => LogPattern.Parse(pattern);

        var error = act.Should().Throw<UserException>().Which;
        error.StatusCode.Should().Be(400);
        error.Message.Should().Contain($"--grep '{pattern}' is not a valid regular expression").And.Contain("backslash");
    }

    [Fact]
    public void A_pattern_that_backtracks_without_end_is_stopped_with_an_error()
    {
        // Nested repeats run in linear time (the non-backtracking engine): no error, and quickly.
        var nested = LogPattern.Parse("^(a+)+$");
        var line = new string('a', 5000) + "!";
        var quick = System.Diagnostics.Stopwatch.StartNew();
        nested.IsMatch(line).Should().BeFalse();
        quick.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5));

        // A backreference needs the backtracking engine, and its timeout stops it.
        var backreference = LogPattern.Parse(@"^(a+)+\1$");
        var started = System.Diagnostics.Stopwatch.StartNew();
        var act = () => backreference.IsMatch(line);

        act.Should().Throw<UserException>().WithMessage("*took longer than 250 ms on one line*nested repeats*");
        started.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData("connection refused", false, "connection refused")]
    [InlineData(@"user \d+ failed", false, " failed")]
    [InlineData("timeouts?", false, "timeout")]
    [InlineData("[0-9]+ms", false, "ms")]
    [InlineData(@"\.json$", false, ".json")]
    [InlineData("^GET /api", false, "GET /api")]
    [InlineData("x{2}yz", false, "yz")]
    [InlineData("ab+cd", false, "cd")]
    [InlineData("(order|payment) failed", false, " failed")]
    [InlineData("say \"hi\" there", false, " there")] // quotes are stored escaped
    [InlineData("café crème", false, "caf")]
    [InlineData("a<b>c&d'e+f`g", false, "a")]
    [InlineData("kilobytes", true, "ilobytes")] // K matches the Kelvin sign when ignoring case
    [InlineData("Kilobytes", false, "Kilobytes")]
    [InlineData("error|warn", false, null)]
    [InlineData("(?i)error", false, null)]
    [InlineData(@"\x41BC", false, null)]
    [InlineData(@"\p{Lu}pper", false, null)]
    [InlineData(@"(a)\1", false, null)]
    [InlineData("x{,2}", false, null)]
    [InlineData("[a-z[aeiou]]", false, null)]
    [InlineData(@"\d+", false, null)]
    [InlineData("", false, null)]
    public void The_required_literal_is_one_every_match_holds_as_stored(string pattern, bool ignoreCase, string? expected) =>
        LogPattern.RequiredLiteral(pattern, ignoreCase).Should().Be(expected);

    [Fact]
    public void Every_character_a_literal_may_hold_is_stored_as_itself()
    {
        foreach (var c in LogPattern.Verbatim)
        {
            var stored = JsonSerializer.Serialize(new LogEntry(DateTimeOffset.UnixEpoch, "out", $"<{c}>"), LogJson.Default.LogEntry);
            stored.Should().Contain(c.ToString(), $"'{c}' is in the verbatim set");
        }
    }

    [Fact]
    public void Ignoring_case_only_K_reaches_outside_ASCII()
    {
        var outside = new StringBuilder();
        for (var c = 0x80; c <= 0xFFFF; c++)
        {
            if (!char.IsSurrogate((char)c))
            {
                outside.Append((char)c);
            }
        }
        var all = outside.ToString();
        foreach (var c in LogPattern.Verbatim)
        {
            var reaches = Regex.IsMatch(all, Regex.Escape(c.ToString()), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
            reaches.Should().Be(LogPattern.FoldsOutsideAscii.Contains(c), $"'{c}'");
        }
    }

    /// <summary>The property the search relies on: whenever the pattern matches a message, the stored line holds the
    /// literal. Checked over messages full of what JSON escapes.</summary>
    [Theory]
    [InlineData("say \"hi\" to café", false)]
    [InlineData("\"hi\" to caf", false)]
    [InlineData("temp\\\\x <b>", false)]
    [InlineData("KELVIN", true)]
    [InlineData("kelvin", true)]
    [InlineData("streams", true)]
    [InlineData("tab\there", false)]
    [InlineData(@"\{""level"":50", false)]
    public void A_message_the_pattern_matches_holds_the_literal_in_its_stored_line(string pattern, bool ignoreCase)
    {
        var messages = new[]
        {
            "say \"hi\" to café", "path C:\\temp\\x <b>&amp;</b>", "\u212Aelvin", "KELVIN", "kelvin", "\u017Ftreams", "STREAMS",
            "tab\there", "{\"level\":50,\"msg\":\"x\"}", "nothing here",
        };
        var parsed = LogPattern.Parse(pattern, ignoreCase);
        foreach (var message in messages.Where(parsed.IsMatch))
        {
            var stored = JsonSerializer.SerializeToUtf8Bytes(new LogEntry(DateTimeOffset.UnixEpoch, "out", message), LogJson.Default.LogEntry);
            parsed.IndexOfRequired(stored).Should().BeGreaterThanOrEqualTo(0, $"'{message}' matches '{pattern}' (literal '{parsed.Required}')");
        }
    }
}
