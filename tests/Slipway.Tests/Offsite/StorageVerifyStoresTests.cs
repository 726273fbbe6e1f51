using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Monitoring.Alerts;
using Slipway.Offsite;
using Slipway.State;
using Slipway.Tests.Databases;
using Slipway.Tests.Support;

namespace Slipway.Tests.Offsite;

/// <summary>`slipway storage verify` with a database's own store beside the platform-wide one (s3rver and a real
/// PostgreSQL): a store that cannot be listed fails its databases only, and the run is recorded; a database's store that
/// fails says that database's backups stay here, on the database's app; a copy found outside its own store is checked
/// and said, and one nowhere this platform knows says to take a new backup. The facts share a platform, so each asserts
/// about its own apps only.</summary>
[Collection("platform-3")]
public sealed class StorageVerifyStoresTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestPlatform Platform => fixture.Platform;

    [Fact]
    public async Task A_database_store_that_cannot_be_reached_fails_its_database_only_its_backups_alert_reaches_its_app_and_the_run_is_recorded()
    {
        await using var server = await S3Server.StartAsync();
        var store = Platform.Services.GetRequiredService<Store>();
        var health = Platform.Services.GetRequiredService<OffsiteHealth>();
        var added = await Platform.CliWithInputAsync($"{S3Server.Key}\n{S3Server.Key}\n", "storage", "add", "wide", "--endpoint", server.Endpoint,
            "--bucket", S3Server.Bucket, "--prefix", "listed-wide");
        added.ExitCode.Should().Be(0, added.ToString());
        await BackedUpAsync("up");
        // Added as it is kept, without the probe `storage add` makes (nothing answers there), before its database exists.
        Platform.Services.GetRequiredService<OffsiteStorages>().Add(
            new OffsiteStorage("down", "http://127.0.0.1:1", S3Server.Bucket, "", "us-east-1", KeepLocal: true, Scope: OffsiteStorages.ScopeOf("down", "main")),
            S3Server.Key, S3Server.Key);
        try
        {
            await BackedUpAsync("down");
            health.Failing.Should().Contain(f => f.Storage == "down").Which.Scope.Should().Be("down/main");
            store.ListPlatformEvents().Should().Contain(e => e.Kind == "offsite.copy-failed" && e.Message.Contains("store down (db down/main's own)", StringComparison.Ordinal))
                .Which.Message.Should().Contain("That database's backups stay on this machine");
            await Platform.Services.GetRequiredService<AlertEngine>().EvaluateAsync(CancellationToken.None);
            var firing = Platform.Services.GetRequiredService<AlertStore>().Firing();
            firing.Should().Contain(a => a.Rule == OffsiteAlertSource.Offsite && a.Subject == "store:down" && a.App == "")
                .Which.Detail.Should().Contain("the backups of db main of down stay on this machine").And.NotContain("WAL");
            firing.Should().Contain(a => a.Rule == "backup" && a.Subject == "offsite-store:main" && a.App == "down", "whoever watches the app's backups hears of it")
                .Which.Title.Should().Contain("off-site store down are failing").And.Contain("could not be reached");

            var failedBefore = store.ListPlatformEvents().Count(e => e.Kind == StorageVerifier.VerifyFailed);
            var verify = await Platform.CliAsync("storage", "verify", "--json");
            verify.ExitCode.Should().Be(1, verify.ToString());
            var rows = JsonDocument.Parse(verify.Out).RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("app").GetString()!);
            rows["up"].GetProperty("ok").GetBoolean().Should().BeTrue("the other databases are still checked");
            rows["up"].GetProperty("storage").GetString().Should().Be("wide");
            rows["down"].GetProperty("ok").GetBoolean().Should().BeFalse();
            rows["down"].GetProperty("problem").GetString().Should().StartWith("store down could not be listed: ").And.Contain("could not be reached");
            store.ListPlatformEvents().Count(e => e.Kind == StorageVerifier.VerifyFailed).Should().Be(failedBefore + 1, "the run is recorded, so the weekly one is not tried again every tick");
            var failure = Platform.Services.GetRequiredService<StorageVerifier>().LastFailure;
            failure.Should().NotBeNull();
            failure!.Databases.Where(d => d.App is "up" or "down").Should().ContainSingle()
                .Which.Should().BeEquivalentTo(new { App = "down", Database = "main", Storage = "down", Scope = "down/main" }, o => o.ExcludingMissingMembers());

            await Platform.Services.GetRequiredService<AlertEngine>().EvaluateAsync(CancellationToken.None);
            Platform.Services.GetRequiredService<AlertStore>().Firing().Should().Contain(a => a.Rule == "backup" && a.Subject == "offsite:main" && a.App == "down")
                .Which.Detail.Should().Contain("in store down (read back").And.NotContain("wide", "the database's alert names its own store only");
        }
        finally
        {
            (await Platform.CliAsync("storage", "rm", "down", "--force")).ExitCode.Should().Be(0);
            (await Platform.CliAsync("storage", "rm", "wide", "--force")).ExitCode.Should().Be(0);
        }
        // A copy that was under way when its store was removed fails afterwards: no spell opens that nothing could end.
        var events = store.ListPlatformEvents().Count(e => e.Kind == "offsite.copy-failed");
        health.Failed("down", new IOException("the connection was reset"));
        health.Failing.Should().NotContain(f => f.Storage == "down");
        store.ListPlatformEvents().Count(e => e.Kind == "offsite.copy-failed").Should().Be(events);
    }

    [Fact]
    public async Task A_copy_outside_its_own_store_is_checked_and_said_and_one_in_no_known_store_says_to_take_a_new_backup()
    {
        await using var server = await S3Server.StartAsync();
        var store = Platform.Services.GetRequiredService<Store>();
        var wide = await Platform.CliWithInputAsync($"{S3Server.Key}\n{S3Server.Key}\n", "storage", "add", "wide", "--endpoint", server.Endpoint,
            "--bucket", S3Server.Bucket, "--prefix", "found-wide", "--no-local");
        wide.ExitCode.Should().Be(0, wide.ToString());
        try
        {
            // Copied to the platform-wide store with no local copy kept; then the database gets a store of its own, which
            // nothing can fill (the shipper has no local file to copy).
            await BackedUpAsync("older");
            var own = await Platform.CliWithInputAsync($"{S3Server.Key}\n{S3Server.Key}\n", "storage", "add", "own", "--endpoint", server.Endpoint,
                "--bucket", S3Server.Bucket, "--prefix", "found-own", "--app", "older");
            own.ExitCode.Should().Be(0, own.ToString());

            var found = await VerifyRowAsync("older");
            found.GetProperty("ok").GetBoolean().Should().BeTrue(found.ToString());
            found.GetProperty("storage").GetString().Should().Be("wide");
            store.ListPlatformEvents().First(e => e.Kind.StartsWith("offsite.verif", StringComparison.Ordinal)).Message.Should()
                .Contain("older db main (in store wide; its own store own holds none yet)");

            (await Platform.CliAsync("storage", "rm", "wide", "--force")).ExitCode.Should().Be(0);
            var lost = await VerifyRowAsync("older");
            lost.GetProperty("ok").GetBoolean().Should().BeFalse();
            lost.GetProperty("problem").GetString().Should().Be("no backup of it is in store own, nor in any other store this platform knows, nor on this machine " +
                "(the store that held it was removed); take a new backup: slipway db backup --app older --name main");
        }
        finally
        {
            await Platform.CliAsync("storage", "rm", "wide", "--force");
            await Platform.CliAsync("storage", "rm", "own", "--force");
        }
    }

    [Fact]
    public void A_database_with_no_copy_in_a_store_is_told_what_to_do_for_each_reason()
    {
        StorageVerifier.NotInStore("mine", "bk_2", newestHere: true, null, "take a new backup: X").Should()
            .Be("no backup of it is in store mine: its newest, bk_2, is on this machine only; 'slipway storage sync' copies it");
        StorageVerifier.NotInStore("mine", "bk_2", newestHere: true, "store wide could not be listed: the off-site store could not be reached", "take a new backup: X").Should()
            .Be("no backup of it is in store mine, and store wide could not be listed: the off-site store could not be reached");
        StorageVerifier.NotInStore("mine", "bk_2", newestHere: false, null, "take a new backup: X").Should()
            .Be("no backup of it is in store mine, nor in any other store this platform knows, nor on this machine (the store that held it was removed); take a new backup: X");
    }

    private async Task BackedUpAsync(string app)
    {
        (await Platform.CliAsync("db", "create", "--create", "--app", app)).ExitCode.Should().Be(0);
        (await Platform.CliAsync("db", "psql", "--app", app, "-c", "create table if not exists t(v int); insert into t select generate_series(1, 20)")).ExitCode.Should().Be(0);
        var backup = await Platform.CliAsync("db", "backup", "--app", app, "--json");
        JsonDocument.Parse(backup.Out).RootElement.GetProperty("status").GetString().Should().Be("verified", backup.ToString());
    }

    private async Task<JsonElement> VerifyRowAsync(string app)
    {
        var verify = await Platform.CliAsync("storage", "verify", "--json");
        return JsonDocument.Parse(verify.Out).RootElement.EnumerateArray().Single(r => r.GetProperty("app").GetString() == app).Clone();
    }
}
