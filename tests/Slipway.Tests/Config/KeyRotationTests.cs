using Slipway.Config;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Config;

[Collection("platform-2")]
public sealed class KeyRotationTests
{
    [Fact]
    public async Task Rotation_reencrypts_every_value_and_a_restarted_platform_still_reads_them()
    {
        var secret = "rotate-me-" + Guid.NewGuid().ToString("N");
        var dataDir = TempDirs.Create("keys");
        try
        {
            string oldKey;
            await using (var platform = await TestPlatform.StartAsync(dataDir: dataDir))
            {
                platform.KeepData = true;
                (await platform.CliAsync("env", "set", "--app", "keyed", "--create", "--secret", "TOKEN=" + secret)).ExitCode.Should().Be(0);
                (await platform.DeployAsync(EnvApp.Create(), "keyed")).ExitCode.Should().Be(0);
                oldKey = File.ReadAllText(Path.Combine(dataDir, "master.key"));

                var rotate = await platform.CliAsync("keys", "rotate");
                rotate.ExitCode.Should().Be(0, rotate.ToString());
                File.ReadAllText(Path.Combine(dataDir, "master.key")).Should().NotBe(oldKey);
                File.Exists(Path.Combine(dataDir, "master.key.next")).Should().BeFalse();
                (await platform.CliAsync("env", "get", "--app", "keyed", "TOKEN", "--reveal")).Out.Trim().Should().Be(secret);
            }
            await using (var again = await TestPlatform.StartAsync(dataDir: dataDir))
            {
                (await again.CliAsync("env", "get", "--app", "keyed", "TOKEN", "--reveal")).Out.Trim().Should().Be(secret);
                // The live deployment comes back (its instances join as they pass their health checks).
                string? value = null;
                for (var i = 0; i < 150 && value != secret; i++)
                {
                    using var fromApp = await again.GetAsync("keyed", "/env/TOKEN");
                    value = await fromApp.Content.ReadAsStringAsync();
                    await Task.Delay(100);
                }
                value.Should().Be(secret, "the live deployment's sealed config opens under the new key");
            }
        }
        finally
        {
            TempDirs.Delete(dataDir);
        }
    }

    [Fact]
    public void A_rotation_cut_off_half_way_is_finished_at_the_next_start()
    {
        var dataDir = TempDirs.Create("halfway");
        try
        {
            var store = new Store(Path.Combine(dataDir, "slipway.db"), TimeProvider.System);
            var first = new ConfigVars(store, new Keyring(dataDir), new SecretRedactor());
            first.Change("app", new Dictionary<string, string> { ["A"] = "$value with spaces" }, secret: true, []);

            // The crash: a new key written, nothing re-encrypted yet.
            new Keyring(dataDir).BeginRotation();
            File.Exists(Path.Combine(dataDir, "master.key.next")).Should().BeTrue();

            var keyring = new Keyring(dataDir);
            keyring.RotationPending.Should().BeTrue();
            var restarted = new ConfigVars(store, keyring, new SecretRedactor());
            restarted.FinishInterruptedRotation();

            File.Exists(Path.Combine(dataDir, "master.key.next")).Should().BeFalse();
            var reopened = new ConfigVars(store, new Keyring(dataDir), new SecretRedactor());
            reopened.List("app").Single().Value.Should().Be("$value with spaces");
            store.ListConfig("app", AppRef.Production).Single().ValueEnc.Should().StartWith($"v1.{keyring.Current}.");
        }
        finally
        {
            TempDirs.Delete(dataDir);
        }
    }
}
