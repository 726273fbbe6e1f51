using Slipway.Dashboard;

namespace Slipway.Tests.Dashboard;

/// <summary>The Team page's links keep its audit filter, and the ids its elements take from names stay valid ids.</summary>
public sealed class TeamDataTests
{
    [Theory]
    [InlineData(null, null, "/team")]
    [InlineData(null, TeamData.AuditPage, "/team")]
    [InlineData("shop", null, "/team?app=shop")]
    [InlineData("shop", 100, "/team?app=shop&limit=100")]
    [InlineData(null, 150, "/team?limit=150")]
    [InlineData("a b", null, "/team?app=a%20b")]
    public void The_page_path_keeps_the_filter(string? app, int? limit, string expected) =>
        TeamData.PagePath(app, limit).Should().Be(expected);

    [Fact]
    public void The_fragment_path_keeps_it_too() =>
        TeamData.PagePath("shop", 100, "/team/content").Should().Be("/team/content?app=shop&limit=100");

    [Theory]
    [InlineData("olga", "olga")]
    [InlineData("dana.m@example.com", "dana_m_example_com")]
    [InlineData("ci+bot_1-x", "ci_bot_1-x")]
    public void An_id_holds_only_letters_digits_dashes_and_underscores(string name, string expected) =>
        TeamData.IdOf(name).Should().Be(expected);
}
