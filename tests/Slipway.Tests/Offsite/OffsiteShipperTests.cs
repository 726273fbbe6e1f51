using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Databases;
using Slipway.Offsite;
using Slipway.State;
using Slipway.Tests.Databases;
using Slipway.Tests.Support;

namespace Slipway.Tests.Offsite;

/// <summary>The shipper's two lanes against a real store (s3rver) behind a proxy that stops only the platform
/// snapshot's requests: WAL goes while the bulk lane fails or is stuck in a long upload, and health stays failing
/// until the bulk lane works again, however often the WAL lane does.</summary>
[Collection("platform-3")]
public sealed class OffsiteShipperTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private const string Snapshot = "/platform/";

    private TestPlatform Platform => fixture.Platform;

    [Fact]
    public async Task Wal_ships_while_the_bulk_lane_fails_or_is_stuck_and_the_failure_lasts_until_the_bulk_lane_works()
    {
        await using var server = await S3Server.StartAsync();
        await using var proxy = PickyProxy.To(server.Endpoint);
        (await Platform.CliAsync("db", "create", "--create", "--app", "lanes")).ExitCode.Should().Be(0);
        var shipper = Platform.Services.GetRequiredService<OffsiteShipper>();
        var health = Platform.Services.GetRequiredService<OffsiteHealth>();
        var state = Platform.Services.GetRequiredService<Store>();
        using var bucket = new S3Bucket(new S3Settings(server.Endpoint, S3Server.Bucket, "lanes/", "us-east-1", S3Server.Key, S3Server.Key));
        var added = await Platform.CliWithInputAsync($"{S3Server.Key}\n{S3Server.Key}\n", "storage", "add", "lanes", "--endpoint", proxy.Endpoint,
            "--bucket", S3Server.Bucket, "--prefix", "lanes");
        added.ExitCode.Should().Be(0, added.ToString());
        try
        {
            // The store fails every platform snapshot: the bulk lane fails round after round, the WAL lane works.
            proxy.Refuse(Snapshot);
            (await shipper.Invoking(s => s.RunAsync(platformNow: false, CancellationToken.None)).Should().ThrowAsync<UserException>())
                .Which.Message.Should().Contain("could not be reached");
            var segment = await SwitchWalAsync();
            await shipper.Invoking(s => s.RunAsync(platformNow: false, CancellationToken.None)).Should().ThrowAsync<UserException>();
            (await WalInStoreAsync(bucket, segment)).Should().BeTrue("the WAL lane does not depend on the bulk lane working");
            health.Failing.Should().NotBeEmpty("the WAL lane working does not end a failure the bulk lane still has");
            Kinds().Should().ContainSingle(k => k == "offsite.copy-failed").And.NotContain("offsite.copy-recovered");

            // Now the snapshot's upload is stuck (a slow store): a sync holds the bulk lane while WAL still goes.
            proxy.Hold(Snapshot);
            var sync = Platform.CliAsync("storage", "sync", "--json");
            await proxy.Holding.WaitAsync(TimeSpan.FromSeconds(60));
            segment = await SwitchWalAsync();
            var round = shipper.RunAsync(platformNow: false, CancellationToken.None);
            (await WalInStoreAsync(bucket, segment)).Should().BeTrue("a segment archived while a snapshot is uploading is in the store within a round");
            sync.IsCompleted.Should().BeFalse("the snapshot's upload is still held");
            round.IsCompleted.Should().BeFalse("its bulk lane waits for the sync's");
            health.Failing.Should().NotBeEmpty();

            proxy.Release();
            var synced = await sync.WaitAsync(TimeSpan.FromSeconds(60));
            synced.ExitCode.Should().Be(0, synced.ToString());
            JsonDocument.Parse(synced.Out).RootElement.GetProperty("platformSnapshot").GetString().Should().NotBeNullOrEmpty();
            await round.WaitAsync(TimeSpan.FromSeconds(60));
            health.Failing.Should().BeEmpty("both lanes worked");
            Kinds().Should().ContainSingle(k => k == "offsite.copy-failed").And.ContainSingle(k => k == "offsite.copy-recovered");
        }
        finally
        {
            proxy.Release();
            (await Platform.CliAsync("storage", "rm", "lanes", "--force")).ExitCode.Should().Be(0);
        }

        List<string> Kinds() => state.ListPlatformEvents().Select(e => e.Kind).Where(k => k.StartsWith("offsite.copy", StringComparison.Ordinal)).ToList();
    }

    [Fact]
    public async Task A_databases_own_store_gets_its_pending_backups_while_the_platform_wide_store_is_down()
    {
        await using var server = await S3Server.StartAsync();
        (await Platform.CliAsync("db", "create", "--create", "--app", "aside")).ExitCode.Should().Be(0);
        var backup = await Platform.CliAsync("db", "backup", "--app", "aside", "--json");
        backup.ExitCode.Should().Be(0, backup.ToString());
        var key = $"aside/main/{JsonDocument.Parse(backup.Out).RootElement.GetProperty("id").GetString()}.dump";
        var storages = Platform.Services.GetRequiredService<OffsiteStorages>();
        var health = Platform.Services.GetRequiredService<OffsiteHealth>();
        // Added behind `storage add`'s back, which would refuse a store it cannot reach.
        storages.Add(new OffsiteStorage("down", "http://127.0.0.1:1", S3Server.Bucket, "", "us-east-1", KeepLocal: true), S3Server.Key, S3Server.Key);
        storages.Add(new OffsiteStorage("aside", server.Endpoint, S3Server.Bucket, "aside/", "us-east-1", KeepLocal: true, Scope: "aside/main"), S3Server.Key, S3Server.Key);
        try
        {
            var shipper = Platform.Services.GetRequiredService<OffsiteShipper>();
            (await shipper.Invoking(s => s.RunAsync(platformNow: false, CancellationToken.None)).Should().ThrowAsync<UserException>())
                .Which.Message.Should().Contain("could not be reached");
            using var bucket = new S3Bucket(new S3Settings(server.Endpoint, S3Server.Bucket, "aside/", "us-east-1", S3Server.Key, S3Server.Key));
            (await bucket.ListAsync("databases/", CancellationToken.None)).Select(o => o.Key).Should().Contain(OffsiteBackupStorage.RemoteKey(key),
                "the database's own store does not wait for the platform-wide store's round");
            health.Failing.Select(f => f.Storage).Should().Equal(["down"]);
        }
        finally
        {
            (await Platform.CliAsync("storage", "rm", "aside", "--force")).ExitCode.Should().Be(0);
            (await Platform.CliAsync("storage", "rm", "down", "--force")).ExitCode.Should().Be(0);
        }
    }

    /// <summary>Ends the current WAL segment; returns its name once it is archived.</summary>
    private async Task<string> SwitchWalAsync()
    {
        await using var admin = await (await fixture.Cluster.EnsureRunningAsync(CancellationToken.None)).OpenAsync(null, CancellationToken.None);
        // A segment with nothing written since the last switch does not switch: write a little first.
        await using (var write = new Npgsql.NpgsqlCommand("select txid_current()", admin))
        {
            await write.ExecuteScalarAsync();
        }
        await using var command = new Npgsql.NpgsqlCommand("select pg_walfile_name(pg_switch_wal())", admin);
        var segment = (string)(await command.ExecuteScalarAsync())!;
        (await DatabaseFixture.EventuallyAsync(() => Task.FromResult(File.Exists(Path.Combine(fixture.Cluster.ArchiveDir, segment + ".gz"))), TimeSpan.FromSeconds(60)))
            .Should().BeTrue($"segment {segment} is archived");
        return segment;
    }

    /// <summary>Whether <paramref name="segment"/> reaches the store within 30 s.</summary>
    private static Task<bool> WalInStoreAsync(S3Bucket bucket, string segment) => DatabaseFixture.EventuallyAsync(
        async () => (await bucket.ListAsync("wal/", CancellationToken.None)).Any(o => o.Key.EndsWith($"/{segment}.gz.sealed", StringComparison.Ordinal)),
        TimeSpan.FromSeconds(30));
}
