using Slipway.Databases;
using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Sources;
using Slipway.State;

namespace Slipway.Tests.Monitoring.AlertSources;

/// <summary>"backup": no verified backup within 26 h (of a database older than that), or the latest one failed.</summary>
public sealed class BackupSourceTests : IDisposable
{
    private readonly SourceHarness _h = new();
    private readonly WalArchiveWatch _archive;

    public BackupSourceTests() => _archive = new WalArchiveWatch(_h.Store, _h.Clock, Microsoft.Extensions.Logging.Abstractions.NullLogger<WalArchiveWatch>.Instance);

    public void Dispose() => _h.Dispose();

    [Fact]
    public void WAL_archiving_that_fails_after_its_last_success_fires_once_as_an_event_and_an_alert_until_a_segment_is_archived()
    {
        var source = new BackupSource(_h.Databases, _h.Store, _archive);
        var t0 = _h.Clock.GetUtcNow();
        _archive.Observe("000000010000000000000003", t0, failures: 2, "000000010000000000000002", t0.AddMinutes(-5), "/log");
        _h.Evaluate(source).Should().BeEmpty("a failure older than the last success is over");

        _archive.Observe("000000010000000000000003", t0, failures: 3, "000000010000000000000004", t0.AddMinutes(1), "/log");
        _archive.Observe("000000010000000000000003", t0, failures: 9, "000000010000000000000004", t0.AddMinutes(2), "/log");
        var signal = _h.Evaluate(source).Should().ContainSingle().Subject;
        signal.Should().BeEquivalentTo(new { Rule = "backup", Subject = "wal-archive", App = (string?)null, Severity = AlertSeverity.Critical });
        signal.Title.Should().Contain("000000010000000000000004");
        _h.Store.ListPlatformEvents().Should().ContainSingle("one event per failing spell, not one per reading")
            .Which.Should().BeEquivalentTo(new { Kind = "database.archive-failed" }, o => o.ExcludingMissingMembers());

        _archive.Observe("000000010000000000000005", t0.AddMinutes(3), failures: 9, "000000010000000000000004", t0.AddMinutes(2), "/log");
        _h.Evaluate(source).Should().BeEmpty();
        _h.Store.ListPlatformEvents().Select(e => e.Kind).Should().Equal("database.archive-recovered", "database.archive-failed");
    }

    [Fact]
    public void A_database_without_a_recent_verified_backup_fires_and_a_verified_one_resolves_it()
    {
        _h.Store.EnsureApp(AppRef.Of("shop"));
        _h.Store.EnsureApp(AppRef.Of("shop", "staging"));
        var main = Database("shop", "main", DatabaseRecord.Postgres, created: -TimeSpan.FromHours(30));
        Database("shop", "cache", DatabaseRecord.Redis, created: -TimeSpan.FromHours(30)); // redis: no backups to expect
        Database("shop-staging", "main", DatabaseRecord.Postgres, created: -TimeSpan.FromHours(2)); // too young to owe one
        Database("", "restored", DatabaseRecord.Postgres, created: -TimeSpan.FromDays(9)); // detached: of no environment
        var source = new BackupSource(_h.Databases, _h.Store, _archive);

        var signal = _h.Evaluate(source).Should().ContainSingle().Subject;

        signal.Should().BeEquivalentTo(new
        {
            Rule = "backup", Subject = "db:main", App = "shop", Severity = AlertSeverity.Critical,
            Title = "shop: no verified backup of db main in 26 h",
        });
        signal.Detail.Should().Contain("Last verified backup of db main: never").And.Contain("slipway db backup --app shop --name main");

        Backup(main, BackupStatus.Verified, -TimeSpan.FromHours(27));
        _h.Evaluate(source).Should().ContainSingle("27 hours is older than 26").Which.Detail.Should().Contain("2026-12-03 07:00 UTC");
        _h.Set("backup", "shop", new AlertRuleSettings(For: TimeSpan.FromHours(48)));
        _h.Evaluate(source).Should().BeEmpty("within 48 hours there is one");
        _h.Set("backup", "shop", new AlertRuleSettings(Enabled: false));
        _h.Evaluate(source).Should().BeEmpty();
        _h.Clear();

        Backup(main, BackupStatus.Verified, -TimeSpan.FromHours(1));
        _h.Evaluate(source).Should().BeEmpty();
    }

    [Fact]
    public void A_failed_backup_or_verification_fires_until_a_later_backup_is_verified()
    {
        _h.Store.EnsureApp(AppRef.Of("shop", "staging"));
        var main = Database("shop-staging", "main", DatabaseRecord.Postgres, created: -TimeSpan.FromDays(3));
        var source = new BackupSource(_h.Databases, _h.Store, _archive);
        Backup(main, BackupStatus.Verified, -TimeSpan.FromHours(3));
        Backup(main, BackupStatus.Running, -TimeSpan.FromMinutes(1)); // in progress: not an outcome yet
        _h.Evaluate(source).Should().BeEmpty();

        var failed = Backup(main, BackupStatus.Failed, -TimeSpan.FromMinutes(30), "verification failed: table orders has 10 rows, expected 12\nmore");

        var signal = _h.Evaluate(source).Should().ContainSingle().Subject;
        signal.Should().BeEquivalentTo(new
        {
            Rule = "backup", Subject = "db:main", App = "shop-staging", Severity = AlertSeverity.Critical,
            Title = $"shop (staging): backup {failed.Id} of db main failed: verification failed: table orders has 10 rows, expected 12",
        });
        signal.Detail.Should().Contain("slipway db backups --app shop --env staging");

        Backup(main, BackupStatus.Verified, -TimeSpan.FromMinutes(10));
        _h.Evaluate(source).Should().BeEmpty();
    }

    private DatabaseRecord Database(string app, string name, string type, TimeSpan created)
    {
        var record = new DatabaseRecord(Ids.New("db"), app, app, "production", name, type, DatabaseRecord.Managed, $"{app}_{name}", $"{app}_{name}",
            "sealed", "DATABASE_URL", new DatabaseSettings().ToJson(), UtcTime.Format(_h.Clock.GetUtcNow() + created), null);
        _h.Databases.Insert(record);
        return record;
    }

    private BackupRecord Backup(DatabaseRecord db, string status, TimeSpan started, string? error = null)
    {
        var at = _h.Clock.GetUtcNow() + started;
        var backup = new BackupRecord(Ids.New("b"), db.Id, db.App, db.Name, BackupKind.Scheduled, status, null, null, null, null,
            UtcTime.Format(at), status == BackupStatus.Running ? null : UtcTime.Format(at + TimeSpan.FromMinutes(2)), null, error);
        _h.Databases.InsertBackup(backup);
        return backup;
    }
}
