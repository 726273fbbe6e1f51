using Slipway.Databases;
using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Sources;
using Slipway.State;

namespace Slipway.Tests.Monitoring.AlertSources;

/// <summary>"backup": no verified backup within 26 h (of a database older than that), or the latest one failed.</summary>
public sealed class BackupSourceTests : IDisposable
{
    private readonly SourceHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void A_database_without_a_recent_verified_backup_fires_and_a_verified_one_resolves_it()
    {
        _h.Store.EnsureApp(AppRef.Of("shop"));
        _h.Store.EnsureApp(AppRef.Of("shop", "staging"));
        var main = Database("shop", "main", DatabaseRecord.Postgres, created: -TimeSpan.FromHours(30));
        Database("shop", "cache", DatabaseRecord.Redis, created: -TimeSpan.FromHours(30)); // redis: no backups to expect
        Database("shop-staging", "main", DatabaseRecord.Postgres, created: -TimeSpan.FromHours(2)); // too young to owe one
        Database("", "restored", DatabaseRecord.Postgres, created: -TimeSpan.FromDays(9)); // detached: of no environment
        var source = new BackupSource(_h.Databases, _h.Store);

        var signal = _h.Evaluate(source).Should().ContainSingle().Subject;

        signal.Should().BeEquivalentTo(new
        {
            Rule = "backup", Subject = "db:main", App = "shop", Severity = AlertSeverity.Critical,
            Title = "shop: no verified backup of db main in 26 h",
        });
        signal.Detail.Should().Contain("Last verified backup of db main: never").And.Contain("slipway db backup main --app shop");

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
        var source = new BackupSource(_h.Databases, _h.Store);
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
