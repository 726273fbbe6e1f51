using Slipway.Deploy;

namespace Slipway.Tests.Deploy;

public sealed class DatabaseHintTests
{
    private static readonly string[] Refused = ["Error: connect ECONNREFUSED 127.0.0.1:5432"];

    [Fact]
    public void The_db_create_hint_is_for_an_environment_without_any_database()
    {
        var owner = AppRef.Of("shop", "staging");
        DatabaseHint.For(owner, new Dictionary<string, string>(), [], Refused).Should().Contain("'slipway db create --app shop --env staging'");
        DatabaseHint.For(owner, new Dictionary<string, string> { ["DATABASE_URL"] = "x" }, [], Refused).Should().BeEmpty();
        DatabaseHint.For(owner, new Dictionary<string, string> { ["MY_DB"] = "x" }, ["MY_DB"], Refused)
            .Should().BeEmpty("the environment has a database, under another variable name");
        DatabaseHint.For(owner, new Dictionary<string, string>(), [], ["Error: connect ECONNREFUSED 127.0.0.1:6379"]).Should().BeEmpty();
    }
}
