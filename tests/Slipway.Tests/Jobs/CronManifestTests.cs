using System.Text.Json;
using Slipway.Manifests;
using Slipway.Tests.Manifests;

namespace Slipway.Tests.Jobs;

/// <summary>The job settings in slipway.json: defaults, every field read, every mistake reported with its key
/// path, and the schema saying the same.</summary>
public sealed class CronManifestTests : IDisposable
{
    private readonly TempSource _source = new();

    public void Dispose() => _source.Dispose();

    [Fact]
    public void Every_job_setting_is_read_and_left_out_ones_take_their_defaults()
    {
        _source.Manifest("""
            {
              "services": { "web": { "start": "node server.js" }, "jobs": { "type": "worker", "start": "node worker.js" } },
              "crons": [
                { "name": "sync", "schedule": "0 */4 * * *", "path": "/api/sync" },
                { "name": "cleanup", "schedule": "0 4 * * SUN", "timeZone": "America/New_York", "command": "node cleanup.js", "service": "jobs",
                  "timeout": "30m", "concurrency": "allow", "retries": 3, "retryBackoff": "1m", "missed": "skip" },
                { "name": "ping", "schedule": "*/5 * * * *", "path": "/ping", "method": "POST" }
              ]
            }
            """);

        var crons = ManifestLoader.Load(_source.Dir).Should().BeOfType<ManifestResult.Ok>().Subject.Spec.Crons;

        crons[0].Should().Be(new CronSpec { Name = "sync", Schedule = "0 */4 * * *", Path = "/api/sync" });
        (crons[0].Method, crons[0].Timeout, crons[0].Concurrency, crons[0].Retries, crons[0].Missed)
            .Should().Be(("GET", TimeSpan.FromMinutes(5), CronConcurrency.Skip, 0, CronMissed.RunOnce));
        crons[1].Should().Be(new CronSpec
        {
            Name = "cleanup", Schedule = "0 4 * * SUN", TimeZone = "America/New_York", Command = "node cleanup.js", Service = "jobs",
            Timeout = TimeSpan.FromMinutes(30), Concurrency = CronConcurrency.Allow, Retries = 3, RetryBackoff = TimeSpan.FromMinutes(1),
            Missed = CronMissed.Skip,
        });
        crons[2].Method.Should().Be("POST");
    }

    [Fact]
    public void Every_mistake_in_a_job_is_reported_at_once_with_its_key_path_and_a_hint()
    {
        _source.Manifest("""
            {
              "services": { "web": { "start": "node server.js" } },
              "crons": [
                { "name": "a", "schedule": "61 * * * *", "path": "/a", "method": "FETCH", "retries": 11 },
                { "name": "b", "schedule": "0 3 * * *", "timeZone": "Moon/Base", "command": "x", "method": "GET", "concurrency": "queue" },
                { "name": "c", "schedule": "0 3 * * *", "path": "/c", "missed": "run-all", "timeout": "soon" }
              ]
            }
            """);

        var invalid = ManifestLoader.Load(_source.Dir).Should().BeOfType<ManifestResult.Invalid>().Subject;

        invalid.Errors.Select(e => e.Path).Should().Equal(
            "crons[0].schedule", "crons[0].method", "crons[0].retries",
            "crons[1].timeZone", "crons[1].method", "crons[1].concurrency",
            "crons[2].timeout", "crons[2].missed");
        invalid.SingleErrorAt("crons[0].schedule").Message.Should().Contain("\"61 * * * *\" is not a valid cron schedule").And.Contain("minute (0-59)");
        invalid.SingleErrorAt("crons[0].method").Message.Should().Contain("\"POST\"");
        invalid.SingleErrorAt("crons[1].timeZone").Message.Should().Contain("IANA name");
        invalid.SingleErrorAt("crons[1].method").Message.Should().Contain("a command job makes no HTTP request");
        invalid.SingleErrorAt("crons[1].concurrency").Message.Should().Contain("\"skip\", \"allow\"");
        invalid.SingleErrorAt("crons[2].missed").Message.Should().Contain("expected one of \"run-once\", \"skip\"");
    }

    [Fact]
    public void A_job_path_that_names_another_host_is_refused_when_the_manifest_is_read()
    {
        _source.Manifest("""
            {
              "services": { "web": { "start": "node server.js" } },
              "crons": [ { "name": "a", "schedule": "0 3 * * *", "path": "//10.0.0.5/admin" } ]
            }
            """);

        var invalid = ManifestLoader.Load(_source.Dir).Should().BeOfType<ManifestResult.Invalid>().Subject;

        invalid.SingleErrorAt("crons[0].path").Message.Should().Contain("a single \"/\"").And.Contain("//10.0.0.5/admin");
    }

    [Fact]
    public void The_schema_lists_the_same_job_settings_and_choices()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(Support.TestApps.RepoRoot, "schemas", "slipway.schema.json")));
        var cron = schema.RootElement.GetProperty("properties").GetProperty("crons").GetProperty("items").GetProperty("properties");

        cron.EnumerateObject().Select(p => p.Name).Should().Equal(ManifestKeys.CronKeys);
        Strings(cron.GetProperty("concurrency").GetProperty("enum")).Should().Equal(CronsReader.ConcurrencyPolicies.Keys);
        Strings(cron.GetProperty("missed").GetProperty("enum")).Should().Equal(CronsReader.MissedPolicies.Keys);
        Strings(cron.GetProperty("method").GetProperty("enum")).Should().Equal(CronsReader.Methods);
        cron.GetProperty("retries").GetProperty("maximum").GetInt32().Should().Be(CronsReader.MaxRetries);
    }

    private static IEnumerable<string?> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString());
}
