using Microsoft.Extensions.DependencyInjection;
using Slipway.Databases;
using Slipway.Tests.Support;

namespace Slipway.Tests.Databases;

/// <summary>What a recovery killed half-way leaves beside the cluster is gone at the next start: the off-site recovery's
/// downloads (a base backup, days of WAL) under a new random name at each try, which would otherwise fill the disk.</summary>
[Collection("platform-3")]
public sealed class RecoveryLeftoversTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task The_downloads_of_a_recovery_from_the_store_that_was_killed_are_swept_and_nothing_else()
    {
        await fixture.Cluster.EnsureRunningAsync(CancellationToken.None);
        var root = fixture.Cluster.Root;
        var left = RecoveryLeftovers.StorePrefixes.Select(prefix => Path.Combine(root, prefix + "k1lled00")).ToList();
        foreach (var dir in left)
        {
            Directory.CreateDirectory(Path.Combine(dir, "inside"));
            await File.WriteAllTextAsync(Path.Combine(dir, "inside", "000000010000000000000003"), "a segment");
        }
        var other = Path.Combine(root, "restored-by-hand");
        Directory.CreateDirectory(other);

        await RecoveryLeftovers.SweepAsync(fixture.Cluster, fixture.Platform.Services.GetRequiredService<DatabaseStore>(), TimeProvider.System, CancellationToken.None);

        left.Where(Directory.Exists).Should().BeEmpty();
        Directory.Exists(other).Should().BeTrue("only what a recovery names as its own goes");
        Directory.Exists(Path.Combine(root, "data")).Should().BeTrue();
        Directory.Delete(other);
    }
}
