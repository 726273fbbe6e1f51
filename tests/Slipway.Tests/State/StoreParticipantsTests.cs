using System.Text;
using Microsoft.Data.Sqlite;
using Slipway.Config;
using Slipway.Databases;
using Slipway.Jobs;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.State;

/// <summary>Key rotation and destroying an app reach the rows other subsystems keep in the store through the
/// participants they register (<see cref="ISealedRows"/>, <see cref="IAppRows"/>), inside the store's one
/// transaction: all rows or none.</summary>
public sealed class StoreParticipantsTests : IDisposable
{
    private readonly string _dir = TempDirs.Create("participants");

    private string DatabasePath => Path.Combine(_dir, "slipway.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        TempDirs.Delete(_dir);
    }

    [Fact]
    public void A_key_rotation_reseals_the_rows_of_every_participant()
    {
        var store = NewStore(sealedRows: [new JobRows(), new DatabaseSecretRows()]);
        var keyring = new Keyring(_dir);
        var oldKey = keyring.Current;
        var jobs = new JobStore(DatabasePath);
        var databases = new DatabaseStore(store);
        var message = SealedMessage(keyring, "shop");
        jobs.InsertMessage(message);
        databases.Insert(Database("shop", keyring.Encrypt("db-password")));
        databases.InsertServer(new DbServerRecord("external", keyring.Encrypt("postgres://u:p@db.internal/app"), store.Now()));

        var newKey = new ConfigVars(store, keyring, new SecretRedactor()).RotateKey();

        // Only the new key is left on disk: a keyring loaded now opens nothing sealed under the old one.
        var fresh = new Keyring(_dir);
        fresh.Current.Should().Be(newKey).And.NotBe(oldKey);
        fresh.RotationPending.Should().BeFalse();
        var stored = jobs.FindMessage(message.Id)!;
        stored.HeadersJson.Should().StartWith($"v1.{newKey}.");
        var (headers, body) = new MessageSealer(fresh).Open(stored);
        headers.Should().Be("""{"X-Api-Key":"header-secret"}""");
        Encoding.UTF8.GetString(body).Should().Be("body-secret");
        databases.Find("shop", "db")!.SecretEnc.Should().StartWith($"v1.{newKey}.");
        fresh.Decrypt(databases.Find("shop", "db")!.SecretEnc).Should().Be("db-password");
        fresh.Decrypt(databases.FindServer("external")!.UrlEnc).Should().Be("postgres://u:p@db.internal/app");
    }

    [Fact]
    public void A_participant_failing_half_way_rolls_the_whole_rotation_back_and_the_next_start_finishes_it()
    {
        var failing = NewStore(sealedRows: [new JobRows(), new FailingRows()]);
        var keyring = new Keyring(_dir);
        var oldKey = keyring.Current;
        var config = new ConfigVars(failing, keyring, new SecretRedactor());
        config.Change("shop", new Dictionary<string, string> { ["TOKEN"] = "config-secret" }, secret: true, []);
        var jobs = new JobStore(DatabasePath);
        var message = SealedMessage(keyring, "shop");
        jobs.InsertMessage(message);

        var rotate = () => config.RotateKey();

        rotate.Should().Throw<InvalidOperationException>().WithMessage("disk full");
        File.Exists(keyring.NextKeyPath).Should().BeTrue("the old key is not retired before every row is under the new one");
        failing.ListConfig("shop", AppRef.Production).Single().ValueEnc.Should().StartWith($"v1.{oldKey}.", "the store's own rows were rolled back");
        jobs.FindMessage(message.Id)!.HeadersJson.Should().StartWith($"v1.{oldKey}.", "so were the rows a participant had already resealed");

        // The next start loads both keys and finishes the rotation.
        var restarted = new Keyring(_dir);
        restarted.RotationPending.Should().BeTrue();
        new ConfigVars(NewStore(sealedRows: [new JobRows()]), restarted, new SecretRedactor()).FinishInterruptedRotation();

        var fresh = new Keyring(_dir);
        fresh.Current.Should().NotBe(oldKey);
        new ConfigVars(NewStore(), fresh, new SecretRedactor()).List("shop").Single().Value.Should().Be("config-secret");
        new MessageSealer(fresh).Open(jobs.FindMessage(message.Id)!).HeadersJson.Should().Be("""{"X-Api-Key":"header-secret"}""");
    }

    [Fact]
    public void Destroying_an_app_deletes_the_rows_participants_keep_for_it_and_only_those()
    {
        var store = NewStore(appRows: [new JobRows()]);
        var jobs = new JobStore(DatabasePath);
        store.EnsureApp("shop");
        store.EnsureApp(AppRef.Of("shop", "staging"));
        store.EnsureApp("blog");
        foreach (var (app, env) in new[] { ("shop", "production"), ("shop-staging", "staging"), ("blog", "production") })
        {
            jobs.SetLastSlot(app, "tick", DateTimeOffset.UnixEpoch);
            jobs.InsertRun(Run(app));
            jobs.InsertMessage(PlainMessage(app));
            var baseApp = store.FindApp(app)!.App;
            store.ChangeConfig(baseApp, JobSecrets.Scope(env), [(JobSecrets.CronSecret, "sealed", true)], []);
        }

        store.DeleteApp("shop");

        jobs.LastSlots("shop").Should().BeEmpty();
        jobs.ListRuns("shop", "tick", 10).Should().BeEmpty();
        jobs.ListMessages("shop", null, 10).Should().BeEmpty();
        store.ListConfig("shop", JobSecrets.Scope("production")).Should().BeEmpty("the platform's secrets of the destroyed environment go with it");
        store.ListConfig("shop", JobSecrets.Scope("staging")).Should().ContainSingle("the app's other environment keeps its own");
        foreach (var app in new[] { "shop-staging", "blog" })
        {
            jobs.LastSlots(app).Should().ContainKey("tick");
            jobs.ListRuns(app, "tick", 10).Should().ContainSingle();
            jobs.ListMessages(app, null, 10).Should().ContainSingle();
        }
        store.ListConfig("blog", JobSecrets.Scope("production")).Should().ContainSingle();
    }

    [Fact]
    public void A_participant_failing_leaves_the_app_whole()
    {
        var store = NewStore(appRows: [new JobRows(), new FailingRows()]);
        var jobs = new JobStore(DatabasePath);
        store.EnsureApp("shop");
        jobs.InsertMessage(PlainMessage("shop"));

        var destroy = () => store.DeleteApp("shop");

        destroy.Should().Throw<InvalidOperationException>();
        store.FindApp("shop").Should().NotBeNull();
        jobs.ListMessages("shop", null, 10).Should().ContainSingle("the participant's delete was rolled back with the rest");
    }

    private Store NewStore(ISealedRows[]? sealedRows = null, IAppRows[]? appRows = null) =>
        new(DatabasePath, TimeProvider.System, sealedRows, appRows);

    private static MessageRecord SealedMessage(Keyring keyring, string app)
    {
        var (headers, body) = new MessageSealer(keyring).Seal("""{"X-Api-Key":"header-secret"}""", Encoding.UTF8.GetBytes("body-secret"));
        return PlainMessage(app) with { HeadersJson = headers, Body = body };
    }

    private static MessageRecord PlainMessage(string app) =>
        new(Ids.New("m"), app, "web", "/receive", null, "POST", "{}", [], JobTime.Format(DateTimeOffset.UnixEpoch), 3, 1000, 0,
            MessageStatus.Pending, null, null, JobTime.Format(DateTimeOffset.UnixEpoch), null);

    private static CronRunRecord Run(string app) =>
        new(Ids.New("r"), app, "tick", null, CronTrigger.Manual, null, JobTime.Format(DateTimeOffset.UnixEpoch), null,
            CronRunStatus.Succeeded, 1, 200, null, 5, null, null);

    private static DatabaseRecord Database(string app, string secretEnc) =>
        new(Ids.New("db"), app, app, "production", "db", DatabaseRecord.Postgres, DatabaseRecord.Managed, app + "_db", app + "_role",
            secretEnc, "DATABASE_URL", new DatabaseSettings().ToJson(), "2025-01-01T00:00:00.000Z", null);

    /// <summary>A participant whose part fails (a full disk, a bug) after others already did theirs.</summary>
    private sealed class FailingRows : ISealedRows, IAppRows
    {
        public void Reseal(SqliteConnection connection, SqliteTransaction transaction, Func<string, string> reencrypt) =>
            throw new InvalidOperationException("disk full");

        public void DeleteApp(SqliteConnection connection, SqliteTransaction transaction, string app, AppRecord? record) =>
            throw new InvalidOperationException("disk full");
    }
}
