using System.Diagnostics;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Dashboard;

/// <summary>The Config tab's review step (assets/config.js, configChange and describe): what an edit of the form sends to
/// the JSON API, and what the review lists. The module itself runs, in node, as the browser runs it: a secret's value
/// never appears in a review row nor in its words, only that it changes.</summary>
public sealed class ConfigChangeTests
{
    private static readonly string Module = new Uri(Path.Combine(TestApps.RepoRoot, "src", "Slipway", "Dashboard", "assets", "config.js")).AbsoluteUri;

    private const string Current = """
        [{"name":"GREETING","secret":false,"original":"hello"},
         {"name":"MULTI","secret":false,"original":"a\r\nb"},
         {"name":"TOKEN","secret":true,"original":null},
         {"name":"OLD","secret":false,"original":"gone soon"},
         {"name":"REGION","secret":false,"shared":true,"original":"eu"}]
        """;

    private const string Untouched = """
        {"GREETING":{"value":"hello","remove":false},"MULTI":{"value":"a\nb","remove":false},
         "TOKEN":{"value":"","remove":false},"OLD":{"value":"gone soon","remove":false}}
        """;

    [Fact]
    public async Task An_untouched_form_changes_nothing()
    {
        var result = await ChangeAsync(Current, Untouched, "[]");

        result.GetProperty("rows").GetArrayLength().Should().Be(0, "a multi-line value the textarea gives back with \\n is the same value");
        result.GetProperty("body").GetProperty("set").EnumerateObject().Should().BeEmpty();
        result.GetProperty("body").GetProperty("unset").GetArrayLength().Should().Be(0);
        result.GetProperty("problems").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task A_changed_added_and_removed_variable_become_one_body_and_rows_by_name_with_no_secret_value()
    {
        var edits = """
            {"GREETING":{"value":"hi there","remove":false},"MULTI":{"value":"a\nb","remove":false},
             "TOKEN":{"value":"s3cret-new","remove":false},"OLD":{"value":"gone soon","remove":true}}
            """;
        var added = """[{"name":" API_KEY ","value":"k-123456","secret":true},{"name":"REGION","value":"us","secret":false},{"name":"","value":"","secret":false}]""";

        var result = await ChangeAsync(Current, edits, added);

        var body = result.GetProperty("body");
        body.GetProperty("set").EnumerateObject().Select(p => $"{p.Name}={p.Value.GetString()}").Should()
            .BeEquivalentTo("GREETING=hi there", "TOKEN=s3cret-new", "API_KEY=k-123456", "REGION=us");
        body.GetProperty("unset").EnumerateArray().Select(e => e.GetString()).Should().Equal("OLD");
        body.GetProperty("secrets").EnumerateArray().Select(e => e.GetString()).Should().BeEquivalentTo("TOKEN", "API_KEY");
        body.GetProperty("secret").GetBoolean().Should().BeFalse("only the listed names are secrets");
        body.GetProperty("deploy").GetBoolean().Should().BeTrue("a save is a release");
        result.GetProperty("words").EnumerateArray().Select(e => e.GetString()).Should().Equal(
            "+ API_KEY (secret): added",
            "~ GREETING: hello → hi there",
            "- OLD (was gone soon)",
            "+ REGION = us",
            "~ TOKEN (secret): value changed");
        var review = result.GetProperty("rows").GetRawText() + string.Join("", result.GetProperty("words").EnumerateArray().Select(e => e.GetString()));
        review.Should().NotContain("s3cret-new").And.NotContain("k-123456", "a secret's value is never shown in the review");
        result.GetProperty("problems").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task A_removed_secret_is_listed_without_its_value()
    {
        var edits = Untouched.Replace("\"TOKEN\":{\"value\":\"\",\"remove\":false}", "\"TOKEN\":{\"value\":\"typed then removed\",\"remove\":true}", StringComparison.Ordinal);

        var result = await ChangeAsync(Current, edits, "[]");

        result.GetProperty("words").EnumerateArray().Select(e => e.GetString()).Should().Equal("- TOKEN (secret): removed");
        result.GetProperty("rows").GetRawText().Should().NotContain("typed then removed");
        result.GetProperty("body").GetProperty("set").EnumerateObject().Should().BeEmpty();
    }

    [Fact]
    public async Task New_rows_that_cannot_be_saved_are_problems_named_for_the_user()
    {
        var added = """
            [{"name":"9LIVES","value":"x","secret":false},{"name":"","value":"orphan","secret":false},
             {"name":"GREETING","value":"again","secret":false},{"name":"NEW","value":"1","secret":false},{"name":"NEW","value":"2","secret":false}]
            """;

        var result = await ChangeAsync(Current, Untouched, added);

        result.GetProperty("problems").EnumerateArray().Select(e => e.GetString()).Should().Equal(
            "'9LIVES' is not a valid variable name: use letters, digits and _, not starting with a digit (like DATABASE_URL).",
            "A new variable has a value but no name: give it one, or empty its value.",
            "GREETING exists already: change its value above instead.",
            "NEW is added twice: keep one of them.");
    }

    /// <summary>configChange(current, edits, added) and describe() of each row, as JSON.</summary>
    private static async Task<JsonElement> ChangeAsync(string current, string edits, string added)
    {
        var script = $$"""
            import { configChange, describe } from {{JsonSerializer.Serialize(Module)}};
            const change = configChange({{current}}, {{edits}}, {{added}});
            console.log(JSON.stringify({ ...change, words: change.rows.map(describe) }));
            """;
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["--input-type=module", "-e", script])
        {
            start.ArgumentList.Add(argument);
        }
        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var error = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        node.ExitCode.Should().Be(0, await error);
        return JsonDocument.Parse(await output).RootElement.Clone();
    }
}
