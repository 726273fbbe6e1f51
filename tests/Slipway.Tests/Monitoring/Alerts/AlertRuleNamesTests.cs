using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Slipway.Hosting;
using Slipway.Manifests;
using Slipway.Monitoring.Alerts;
using Slipway.Tests.Support;

namespace Slipway.Tests.Monitoring.Alerts;

/// <summary>slipway.json's "alerts" is validated against Manifests' list of built-in rules (Manifests cannot see the
/// sources above it); the platform's registered sources must define exactly those rules, each taking the same settings.</summary>
public sealed class AlertRuleNamesTests
{
    [Fact]
    public async Task The_manifest_knows_every_rule_the_platform_evaluates_with_the_same_settings()
    {
        var dir = TempDirs.Create("rule-names");
        try
        {
            await using var app = PlatformHost.Build(new PlatformOptions { DataDir = dir, HttpPort = 0, DatabasesDir = dir + "-db" }, LogLevel.Warning);
            var definitions = app.Services.GetServices<IAlertSource>().SelectMany(s => s.Rules).ToList();

            definitions.Select(d => d.Name).Should().OnlyHaveUniqueItems().And.BeEquivalentTo(AlertRuleNames.BuiltIn.Keys);
            foreach (var definition in definitions)
            {
                AlertConfig.Terms(definition).Should().Be(AlertRuleNames.BuiltIn[definition.Name], definition.Name);
                definition.Defaults.Severity.Should().NotBeNull(definition.Name);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TempDirs.Delete(dir);
            TempDirs.Delete(dir + "-db");
        }
    }
}
