using Slipway.Config;
using Slipway.Manifests;

namespace Slipway.Tests.Config;

public sealed class ConfigSchemaTests
{
    private static readonly VariableSpec[] Declared =
    [
        new() { Name = "DATABASE_URL", Type = VariableType.Url, Secret = true, Description = "Postgres" },
        new() { Name = "JWT_SECRET", Secret = true, MinLength = 32 },
        new() { Name = "NODE_ENV", Type = VariableType.Enum, Values = ["production", "development"], Default = "production", Required = false },
        new() { Name = "ALLOWED_ORIGINS", Type = VariableType.List, Items = VariableType.Url, Required = false },
        new() { Name = "WORKERS", Type = VariableType.Int, Required = false },
        new() { Name = "REGION", Pattern = "[a-z]{2}-[a-z]+", Required = false },
        new() { Name = "STAGING_ONLY", Environments = ["staging"] },
    ];

    private static ConfigSnapshot Config(Dictionary<string, string> vars, params string[] secrets) => new(vars, secrets);

    [Fact]
    public void A_satisfied_config_has_no_problems_and_gets_its_defaults()
    {
        var config = Config(new()
        {
            ["DATABASE_URL"] = "postgres://u:p@db:5432/app", ["JWT_SECRET"] = new string('x', 40),
            ["ALLOWED_ORIGINS"] = "https://a.example, https://b.example", ["WORKERS"] = "4", ["REGION"] = "eu-west",
        }, "DATABASE_URL", "JWT_SECRET");

        ConfigSchema.Check("shop", Declared, config, "production").Should().BeEmpty();
        ConfigSchema.WithDefaults(Declared, config).Vars["NODE_ENV"].Should().Be("production");
    }

    [Fact]
    public void Every_problem_is_listed_with_the_command_that_fixes_it_and_no_secret_value()
    {
        var config = Config(new()
        {
            ["JWT_SECRET"] = "too-short-secret", ["NODE_ENV"] = "prod", ["ALLOWED_ORIGINS"] = "https://ok.example,not a url",
            ["WORKERS"] = "many", ["REGION"] = "EU",
        }, "JWT_SECRET");

        var problems = ConfigSchema.Check("shop", Declared, config, "production");

        problems.Should().HaveCount(6);
        problems.Should().Contain(p => p.StartsWith("DATABASE_URL (url, secret) is not set (Postgres)") && p.EndsWith("slipway env set --app shop --secret DATABASE_URL=<https://...>"));
        problems.Should().Contain(p => p.StartsWith("JWT_SECRET: its value is 16 characters, at least 32 needed"));
        problems.Should().Contain(p => p.Contains("NODE_ENV: \"prod\" is not one of production, development") && p.EndsWith("NODE_ENV=production"));
        problems.Should().Contain(p => p.Contains("ALLOWED_ORIGINS: item \"not a url\" is not an absolute URL"));
        problems.Should().Contain(p => p.Contains("WORKERS: \"many\" is not a whole number"));
        problems.Should().Contain(p => p.Contains("REGION: \"EU\" does not match"));
        string.Join("\n", problems).Should().NotContain("too-short-secret");
    }

    [Fact]
    public void A_secret_set_in_the_clear_is_a_problem_and_required_only_in_some_environments_is_respected()
    {
        var config = Config(new() { ["DATABASE_URL"] = "postgres://db/app", ["JWT_SECRET"] = new string('y', 32) }, "JWT_SECRET");

        var production = ConfigSchema.Check("shop", Declared, config, "production");
        production.Should().ContainSingle().Which.Should().Contain("DATABASE_URL must be a secret but is set in the clear").And.Contain("--secret");
        ConfigSchema.Check("shop", Declared, config, "staging").Should().Contain(p => p.StartsWith("STAGING_ONLY"));
    }
}
