using Slipway.Databases;
using Slipway.Manifests;
using Slipway.Tests.Manifests;
using static Slipway.Tests.Manifests.ManifestAssertions;

namespace Slipway.Tests.Databases;

/// <summary>The pure parts: retention, schedules, tuning, the "databases" manifest key, names.</summary>
public sealed class DatabaseLogicTests : IDisposable
{
    private readonly TempSource _source = new();

    public void Dispose() => _source.Dispose();

    private static BackupRetention.Item B(string id, string at, bool verified = true, bool safety = false) =>
        new(id, DateTime.Parse(at, null, System.Globalization.DateTimeStyles.AdjustToUniversal), verified, safety);

    [Fact]
    public void Retention_keeps_a_safety_backup_for_as_long_as_its_day_is_kept_even_when_a_later_backup_of_that_day_exists()
    {
        // A restore at 10:00 on 2 Nov replaced the data; the safety backup is the only copy of what it replaced.
        var backups = new[]
        {
            B("s1", "2026-11-01T03:00:00Z"), B("safety", "2026-11-02T10:00:00Z", safety: true), B("s2", "2026-11-02T23:00:00Z"),
            B("s3", "2026-11-03T03:00:00Z"), B("s4", "2026-11-04T03:00:00Z"),
        };
        BackupRetention.ToDelete(backups, keepDaily: 3, keepWeekly: 0).Should().Equal("s1");
        BackupRetention.ToDelete(backups, keepDaily: 2, keepWeekly: 0).Should().BeEquivalentTo(["s1", "safety", "s2"], "it ages out with its day");
    }

    [Fact]
    public void Retention_keeps_the_newest_backup_of_each_recent_day_and_week()
    {
        // Three a day for ten days (2026-11-01 is a Sunday), newest first in no particular order.
        var backups = Enumerable.Range(1, 10).SelectMany(d => new[] { 1, 12, 23 }.Select(h => B($"d{d}h{h}", $"2026-11-{d:00}T{h:00}:00:00Z"))).ToList();
        var deleted = BackupRetention.ToDelete(backups, keepDaily: 3, keepWeekly: 2);
        var kept = backups.Select(b => b.Id).Except(deleted).ToList();
        // Days 10, 9, 8 (their 23:00 backups); weeks: the week of 9-15 Nov (newest: d10h23) and of 2-8 Nov (d8h23).
        kept.Should().BeEquivalentTo(["d10h23", "d9h23", "d8h23"]);
        BackupRetention.ToDelete(backups, keepDaily: 1, keepWeekly: 3).Should().NotContain(["d10h23", "d8h23", "d1h23"])
            .And.HaveCount(27, "week of 26 Oct-1 Nov keeps its newest (1 Nov), 2-8 Nov keeps 8 Nov, this week keeps 10 Nov");
    }

    [Fact]
    public void Retention_keeps_failed_backups_while_they_are_recent_and_never_counts_them()
    {
        var backups = new[] { B("old", "2026-11-01T03:00:00Z"), B("fail-old", "2026-10-30T03:00:00Z", false), B("new", "2026-11-02T03:00:00Z"), B("fail-new", "2026-11-02T04:00:00Z", false) };
        BackupRetention.ToDelete(backups, keepDaily: 2, keepWeekly: 0).Should().Equal("fail-old");
        BackupRetention.ToDelete([B("f", "2026-11-02T04:00:00Z", false)], 7, 4).Should().BeEmpty("with nothing verified, failures stay visible");
    }

    [Fact]
    public void Schedules_take_five_fields_or_six_with_seconds_and_are_due_once_a_time_has_passed()
    {
        BackupSchedule.IsValid("0 3 * * *").Should().BeTrue();
        BackupSchedule.IsValid("*/5 * * * * *").Should().BeTrue();
        BackupSchedule.IsValid("daily").Should().BeFalse();
        BackupSchedule.IsValid("0 25 * * *").Should().BeFalse();
        var since = new DateTime(2026, 11, 21, 3, 0, 0, DateTimeKind.Utc);
        BackupSchedule.IsDue("0 3 * * *", since, since.AddHours(23)).Should().BeFalse();
        BackupSchedule.IsDue("0 3 * * *", since, since.AddDays(1)).Should().BeTrue();
        BackupSchedule.IsDue("0 3 * * *", since, since.AddDays(5)).Should().BeTrue("missed runs collapse into one due run");
    }

    [Fact]
    public void Tuning_follows_memory_within_bounds()
    {
        var small = PostgresTuning.For(1L << 30).ToDictionary(s => s.Name, s => s.Value);
        small["shared_buffers"].Should().Be("256MB");
        small["effective_cache_size"].Should().Be("512MB");
        var big = PostgresTuning.For(64L << 30).ToDictionary(s => s.Name, s => s.Value);
        big["shared_buffers"].Should().Be("8192MB", "capped");
        big["maintenance_work_mem"].Should().Be("1024MB");
        big["work_mem"].Should().Be("64MB");
    }

    [Fact]
    public void Names_are_valid_postgres_identifiers_per_environment()
    {
        Sql.NameFor("shop", "main").Should().Be("app_shop_main");
        Sql.NameFor("shop-staging", "main").Should().Be("app_shop_staging_main");
        var longName = Sql.NameFor(new string('a', 40) + "-" + new string('b', 20), "database_name_long");
        longName.Length.Should().BeLessThanOrEqualTo(63);
        Sql.Ident("a\"b").Should().Be("\"a\"\"b\"");
    }

    [Fact]
    public void The_databases_key_is_read_with_defaults()
    {
        _source.File("server.js").Manifest("""
            { "services": { "web": { "start": "node server.js" } },
              "databases": { "main": { "type": "postgres", "backups": { "schedule": "30 2 * * *", "keepDaily": 3 } }, "cache": { "type": "redis", "maxMemory": "128mb" } } }
            """);
        var spec = LoadOk(_source).Spec;
        spec.Databases.Should().BeEquivalentTo(new[]
        {
            new DatabaseSpec { Name = "main", Var = "DATABASE_URL", Backups = new BackupPolicy { Schedule = "30 2 * * *", KeepDaily = 3, KeepWeekly = 4 } },
            new DatabaseSpec { Name = "cache", Type = DatabaseType.Redis, Var = "REDIS_URL", MaxMemory = "128mb" },
        });
    }

    [Fact]
    public void Every_mistake_under_databases_is_reported_with_its_path()
    {
        _source.File("server.js").Manifest("""
            { "services": { "web": { "start": "node server.js" } },
              "databases": {
                "Main": { "type": "postgres" },
                "a": { "type": "mysql" },
                "b": { "backups": { "schedule": "sometimes" }, "maxMemory": "1gb" },
                "c": { "var": "DATABASE_URL" },
                "d": { "type": "redis", "maxMemory": "lots" }
              } }
            """);
        var errors = LoadInvalid(_source).Errors.Select(e => e.Path + ": " + e.Message).ToList();
        errors.Should().Contain(e => e.StartsWith("databases.Main:", StringComparison.Ordinal));
        errors.Should().Contain(e => e.StartsWith("databases.a.type:", StringComparison.Ordinal) && e.Contains("\"redis\""));
        errors.Should().Contain(e => e.StartsWith("databases.b.backups.schedule:", StringComparison.Ordinal));
        errors.Should().Contain(e => e.StartsWith("databases.b.maxMemory:", StringComparison.Ordinal) && e.Contains("redis databases only"));
        errors.Should().Contain(e => e.StartsWith("databases.c.var:", StringComparison.Ordinal) && e.Contains("already the URL"));
        errors.Should().Contain(e => e.StartsWith("databases.d.maxMemory:", StringComparison.Ordinal));
    }
}
