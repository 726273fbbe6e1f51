using Microsoft.Extensions.DependencyInjection;
using Slipway.Monitoring.Alerts;
using Slipway.Offsite;
using Slipway.State;
using Slipway.Tests.Databases;
using Slipway.Tests.Support;

namespace Slipway.Tests.Offsite;

/// <summary>`slipway storage verify` against a real s3rver: it passes only when it restored something and says what it
/// checked and what it could not; a copy that does not restore is the "backup" alert of its database, not only the
/// platform's "offsite" alert.</summary>
[Collection("platform-3")]
public sealed class StorageVerifyTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestPlatform Platform => fixture.Platform;

    [Fact]
    public async Task A_verify_passes_only_when_it_restored_something_names_what_it_checked_and_a_copy_that_fails_raises_its_databases_backup_alert()
    {
        await using var server = await S3Server.StartAsync();
        var added = await Platform.CliWithInputAsync($"{S3Server.Key}\n{S3Server.Key}\n", "storage", "add", "offsite", "--endpoint", server.Endpoint, "--bucket", S3Server.Bucket);
        added.ExitCode.Should().Be(0, added.ToString());
        var store = Platform.Services.GetRequiredService<Store>();

        var empty = await Platform.CliAsync("storage", "verify");
        empty.ExitCode.Should().Be(0, empty.ToString());
        store.ListPlatformEvents().Select(e => e.Kind).Should().Contain(StorageVerifier.VerifyEmpty).And.NotContain(StorageVerifier.Verified,
            "nothing was read back, so nothing is known to restore");

        (await Platform.CliAsync("db", "create", "--create", "--app", "checked")).ExitCode.Should().Be(0);
        (await Platform.CliAsync("db", "psql", "--app", "checked", "-c", "create table t(v int); insert into t select generate_series(1, 50)")).ExitCode.Should().Be(0);
        var backup = await Platform.CliAsync("db", "backup", "--app", "checked");
        backup.ExitCode.Should().Be(0, backup.ToString());
        (await Platform.CliAsync("db", "create", "--create", "--app", "fresh")).ExitCode.Should().Be(0);

        var passed = await Platform.CliAsync("storage", "verify");
        passed.ExitCode.Should().Be(0, passed.ToString());
        var verified = store.ListPlatformEvents().First(e => e.Kind.StartsWith("offsite.verif", StringComparison.Ordinal));
        verified.Kind.Should().Be(StorageVerifier.Verified);
        verified.Message.Should().Contain("1 database(s)").And.Contain("checked db main").And.Contain("Not checked, having no verified backup yet: fresh db main");

        // The store's copy damaged: it no longer opens.
        var location = Platform.Services.GetRequiredService<Slipway.Databases.DatabaseStore>().ListVerifiedBackups().Single(b => b.App == "checked").Location!;
        var garbage = Path.Combine(TempDirs.Create("garbage"), "object");
        await File.WriteAllTextAsync(garbage, "not a sealed backup");
        using (var bucket = new S3Bucket(new S3Settings(server.Endpoint, S3Server.Bucket, "", "us-east-1", S3Server.Key, S3Server.Key)))
        {
            await bucket.PutAsync(OffsiteBackupStorage.RemoteKey(location), garbage, CancellationToken.None);
        }
        var failed = await Platform.CliAsync("storage", "verify");
        failed.ExitCode.Should().Be(1, failed.ToString());
        store.ListPlatformEvents().First(e => e.Kind.StartsWith("offsite.verif", StringComparison.Ordinal)).Kind.Should().Be(StorageVerifier.VerifyFailed);

        await Platform.Services.GetRequiredService<AlertEngine>().EvaluateAsync(CancellationToken.None);
        var firing = Platform.Services.GetRequiredService<AlertStore>().Firing();
        firing.Should().Contain(a => a.Rule == "backup" && a.Subject == "offsite:main" && a.App == "checked", "the database's own backup alert says its copy does not restore")
            .Which.Title.Should().Contain("off-site copy of db main did not restore");
        firing.Should().Contain(a => a.Rule == OffsiteAlertSource.Offsite && a.App == "");
        (await Platform.CliAsync("storage", "rm", "offsite", "--force")).ExitCode.Should().Be(0);
    }
}
