using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Slipway.Api;
using Slipway.Cli;
using Slipway.Edge.Tls;
using Slipway.Hosting;
using Slipway.Tests.Support;

namespace Slipway.Tests.Edge.Tls;

/// <summary>`slipway ca` through the real API over the data directory's Unix socket (an API host with the CA
/// endpoint and a real store), and the trust steps it prints and runs.</summary>
public sealed class CaCommandsTests : IAsyncLifetime
{
    private readonly string _data = TempDirs.Create("cacli");
    private WebApplication? _api;

    private string RootPath => Path.Combine(_data, "certs", "_development", "root.pem");

    public async Task InitializeAsync()
    {
        var options = new PlatformOptions { DataDir = _data };
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenUnixSocket(options.SocketPath));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddCertificateStore(options.CertsDir);
        _api = builder.Build();
        _api.UseSlipwayErrors();
        _api.MapCaApi();
        await _api.StartAsync();
        _api.Services.GetRequiredService<CertificateStore>(); // made on first use: the root with it
    }

    public async Task DisposeAsync()
    {
        await _api!.StopAsync();
        await _api.DisposeAsync();
        TempDirs.Delete(_data);
    }

    [Fact]
    public async Task Ca_cert_prints_the_public_root_and_its_fingerprint()
    {
        var cli = new CliRunner(_data);

        var cert = await cli.RunAsync("ca", "cert");
        cert.ExitCode.Should().Be(0, cert.Err);
        cert.Out.Trim().Should().Be(File.ReadAllText(RootPath).Trim());
        cert.Out.Should().NotContain("PRIVATE KEY");
        var json = JsonDocument.Parse((await cli.RunAsync("ca", "cert", "--json")).Out).RootElement;
        var openssl = await ExternalTool.RunAsync("openssl", ["x509", "-in", RootPath, "-noout", "-fingerprint", "-sha256"]);
        openssl.Out.Trim().Should().Be("sha256 Fingerprint=" + json.GetProperty("sha256").GetString());
        json.GetProperty("subject").GetString().Should().StartWith("CN=Slipway development CA ");
    }

    [Fact]
    public async Task Ca_trust_prints_every_stores_steps_with_the_roots_path_and_fingerprint()
    {
        var cli = new CliRunner(_data);
        var sha = JsonDocument.Parse((await cli.RunAsync("ca", "cert", "--json")).Out).RootElement.GetProperty("sha256").GetString()!;
        var stem = CaTrust.FileStem(sha);

        var trust = await cli.RunAsync("ca", "trust");

        trust.ExitCode.Should().Be(0, trust.Err);
        trust.Out.Should().Contain($"file     {RootPath}").And.Contain($"SHA-256  {sha}")
            .And.Contain($"sudo cp {RootPath} /usr/local/share/ca-certificates/{stem}.crt && sudo update-ca-certificates")
            .And.Contain($"sudo trust anchor --store {RootPath}")
            .And.Contain($"sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {RootPath}")
            .And.Contain($"certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n \"{CaTrust.Nickname(sha)}\" -i {RootPath}")
            .And.Contain($"curl --cacert {RootPath} https://shop.localhost:8443/").And.Contain($"CURL_CA_BUNDLE={RootPath}")
            .And.Contain("'slipway ca trust --yes' does the system-store step here (Debian/Ubuntu");
    }

    [Fact]
    public async Task Ca_trust_yes_builds_a_debian_store_whose_bundle_validates_the_development_leaves()
    {
        var stage = Path.Combine(_data, "stage");
        var cli = new CliRunner(_data);

        var trust = await cli.RunAsync("ca", "trust", "--yes", "--root", stage);

        trust.ExitCode.Should().Be(0, trust.Out + trust.Err);
        trust.Out.Should().Contain("$ update-ca-certificates --certsconf").And.Contain("Trusted CN=Slipway development CA");
        var bundle = Path.Combine(stage, "etc", "ssl", "certs", "ca-certificates.crt");
        File.ReadAllText(bundle).Should().Contain(File.ReadAllText(RootPath).Trim());
        var leaf = Path.Combine(_data, "certs", "_development", "localhost", "fullchain.pem");
        var verify = await ExternalTool.RunAsync("openssl", ["verify", "-CAfile", bundle, leaf]);
        verify.ExitCode.Should().Be(0, verify.ToString());
    }

    [Fact]
    public void The_commands_for_each_store_and_every_firefox_profile_are_exact()
    {
        const string sha = "AB:CD:EF:01:23:45:67:89:00";
        CaTrust.SystemCommands(TrustStore.Debian, "/d/root.pem", sha).Should().BeEquivalentTo(new[]
        {
            new[] { "install", "-D", "-m", "0644", "/d/root.pem", "/usr/local/share/ca-certificates/slipway-development-ca-abcdef01.crt" },
            ["update-ca-certificates"],
        }, o => o.WithStrictOrdering());
        CaTrust.SystemCommands(TrustStore.Fedora, "/d/root.pem", sha).Should().BeEquivalentTo(new[] { new[] { "trust", "anchor", "--store", "/d/root.pem" } });
        CaTrust.SystemCommands(TrustStore.MacOs, "/d/root.pem", sha).Single().Should().Equal(
            "security", "add-trusted-cert", "-d", "-r", "trustRoot", "-k", "/Library/Keychains/System.keychain", "/d/root.pem");

        var home = Path.Combine(_data, "home");
        Directory.CreateDirectory(Path.Combine(home, ".mozilla", "firefox", "abc.default-release"));
        File.WriteAllText(Path.Combine(home, ".mozilla", "firefox", "abc.default-release", "cert9.db"), "");
        Directory.CreateDirectory(Path.Combine(home, ".mozilla", "firefox", "Crash Reports"));
        var nss = CaTrust.NssCommands("/d/root.pem", sha, home).Select(CaTrust.Show).ToList();
        nss.Should().Equal(
            $"mkdir -p {home}/.pki/nssdb",
            $"certutil -d sql:{home}/.pki/nssdb -N --empty-password",
            $"certutil -d sql:{home}/.pki/nssdb -A -t C,, -n 'Slipway development CA abcdef01' -i /d/root.pem",
            $"certutil -d sql:{home}/.mozilla/firefox/abc.default-release -A -t C,, -n 'Slipway development CA abcdef01' -i /d/root.pem");
    }
}
