using Slipway.Access;
using Slipway.Dashboard;

namespace Slipway.Tests.Dashboard;

/// <summary>The Team page's links keep its audit filter, the ids its elements take from names stay valid ids, and the form
/// that makes a token offers what POST /v1/tokens would accept from the caller.</summary>
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

    private static readonly string[] Apps = ["billing", "shop"];

    private static Principal User(params Grant[] grants) => new(PrincipalKind.User, "u1", "someone", grants);

    [Fact]
    public void An_owner_makes_tokens_of_any_role_for_the_platform_or_any_app()
    {
        var form = TeamData.TokenFormFor(User(new Grant(Role.Owner)), Apps)!;
        form.Roles.Should().Equal("viewer", "deployer", "admin", "owner");
        form.Scopes.Should().BeNull("the app is typed, or left empty for the whole platform");
        form.Known.Should().Equal(Apps);
        form.EnvTyped.Should().BeTrue();
    }

    [Fact]
    public void An_admin_of_some_apps_makes_tokens_for_those_apps_only_up_to_admin()
    {
        var form = TeamData.TokenFormFor(User(new Grant(Role.Viewer), new Grant(Role.Admin, "shop"), new Grant(Role.Admin, "cart", "staging"),
            new Grant(Role.Admin, "shop", "staging"), new Grant(Role.Deployer, "billing")), Apps)!;
        form.Roles.Should().Equal("viewer", "deployer", "admin");
        // cart alone would be all of cart's environments (the API checks cart's production and refuses): the environment
        // of an env-scoped grant goes with it; shop (staging) is within shop, which the form offers with a typed environment.
        form.Scopes.Should().Equal(new TokenScope("cart", "staging"), new TokenScope("shop", null));
        form.Scopes!.Select(s => s.Label).Should().Equal("cart (staging)", "shop");
        form.Scopes!.Select(s => s.Fields).Should().Equal("""{"app":"cart","env":"staging"}""", """{"app":"shop"}""");
        form.EnvTyped.Should().BeTrue("shop's token may be narrowed to one of its environments");
        form.Known.Should().BeEmpty();
    }

    [Fact]
    public void An_admin_of_one_environment_only_is_offered_no_environment_to_type()
    {
        var form = TeamData.TokenFormFor(User(new Grant(Role.Admin, "cart", "staging")), Apps)!;
        form.Scopes.Should().Equal(new TokenScope("cart", "staging"));
        form.EnvTyped.Should().BeFalse();
    }

    [Fact]
    public void A_deployer_or_a_token_makes_none() // as the API: manage-tokens is admin's, and a token makes no tokens
    {
        TeamData.TokenFormFor(User(new Grant(Role.Deployer), new Grant(Role.Viewer, "shop")), Apps).Should().BeNull();
        TeamData.TokenFormFor(new Principal(PrincipalKind.Token, "t1", "token:ci (by olga)", [new Grant(Role.Admin)]), Apps).Should().BeNull();
    }
}
