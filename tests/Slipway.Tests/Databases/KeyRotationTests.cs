using Slipway.Tests.Support;

namespace Slipway.Tests.Databases;

/// <summary>`slipway keys rotate` re-encrypts what the databases keep under the master key (each database's
/// password, the cluster's superuser password in postgres.json): after a restart with only the new key, the
/// cluster starts and the app still reads its data.</summary>
[Collection("platform-2")]
public sealed class KeyRotationTests
{
    [Fact]
    public async Task After_a_key_rotation_and_a_restart_the_cluster_and_the_apps_database_still_open()
    {
        var dataDir = TempDirs.Create("platform");
        try
        {
            await using (var platform = await TestPlatform.StartAsync(dataDir: dataDir))
            {
                platform.KeepData = true;
                (await platform.DeployAsync(DbApp.Create(), "rot")).ExitCode.Should().Be(0);
                using var write = await platform.GetAsync("rot", "/write?v=before");
                write.StatusCode.Should().Be(System.Net.HttpStatusCode.OK);
                var rotate = await platform.CliAsync("keys", "rotate");
                rotate.ExitCode.Should().Be(0, rotate.ToString());
            }
            File.Exists(Path.Combine(dataDir, "master.key.next")).Should().BeFalse("the rotation finished: only the new key is left");

            await using var again = await TestPlatform.StartAsync(dataDir: dataDir);
            var url = await again.CliAsync("db", "url", "--app", "rot");
            url.ExitCode.Should().Be(0, url.ToString());
            (await DatabaseFixture.EventuallyAsync(async () =>
            {
                using var read = await again.GetAsync("rot", "/read");
                return read.IsSuccessStatusCode && await read.Content.ReadAsStringAsync() == "before";
            }, TimeSpan.FromSeconds(30))).Should().BeTrue("the app reaches its database with the password sealed under the new key");
        }
        finally
        {
            TempDirs.Delete(dataDir);
            TempDirs.Delete(dataDir + "-db");
        }
    }
}
