using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Slipway.Api;
using Slipway.Edge.Tls;
using Slipway.Hosting;
using Slipway.Tests.Support;

namespace Slipway.Tests.Edge.Tls;

/// <summary>`slipway certs` through the real API over the data directory's Unix socket, served by an API host
/// that has only the certificate endpoints and a real store.</summary>
public sealed class CertCommandsTests : IAsyncLifetime
{
    private readonly string _data = TempDirs.Create("certcli");
    private WebApplication? _api;

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
        _api.MapCertificateApi();
        await _api.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _api!.StopAsync();
        await _api.DisposeAsync();
        TempDirs.Delete(_data);
    }

    [Fact]
    public async Task Add_list_and_remove_a_certificate()
    {
        var cli = new CliRunner(_data);
        var pair = TestCertificates.SelfSigned("shop.example.test", ["shop.example.test"]);
        var certFile = Path.Combine(_data, "upload-cert.pem");
        var keyFile = Path.Combine(_data, "upload-key.pem");
        File.WriteAllText(certFile, pair.CertPem);
        File.WriteAllText(keyFile, pair.KeyPem);

        var added = await cli.RunAsync("certs", "add", "shop.example.test", "--cert", certFile, "--key", keyFile);
        added.ExitCode.Should().Be(0, added.Err);
        added.Out.Should().StartWith("Serving shop.example.test over TLS with CN=shop.example.test");
        added.Out.Should().NotContain("PRIVATE KEY");
        File.Exists(Path.Combine(_data, "certs", "shop.example.test", "privkey.pem")).Should().BeTrue();

        var list = JsonDocument.Parse((await cli.RunAsync("certs", "ls", "--json")).Out).RootElement;
        var rows = list.GetProperty("certificates").EnumerateArray()
            .Select(c => (Host: c.GetProperty("host").GetString(), Source: c.GetProperty("source").GetString())).ToList();
        rows.Should().Equal(("shop.example.test", "file"), ("*.localhost", "dev"));
        (await cli.RunAsync("certs", "ls")).Out.Should().MatchRegex(@"shop\.example\.test\s+file\s+\d{4}-\d\d-\d\d\s+CN=shop\.example\.test");

        var removed = await cli.RunAsync("certs", "rm", "shop.example.test");
        removed.ExitCode.Should().Be(0, removed.Err);
        (await cli.RunAsync("certs", "ls")).Out.Should().NotContain("shop.example.test");
        (await cli.RunAsync("certs", "rm", "shop.example.test")).Err.Should().Contain("No certificate files for shop.example.test");
    }

    [Fact]
    public async Task A_mismatched_key_is_refused_with_what_to_do_and_nothing_is_written()
    {
        var cli = new CliRunner(_data);
        var pair = TestCertificates.SelfSigned("shop.example.test", ["shop.example.test"]);
        var certFile = Path.Combine(_data, "upload-cert.pem");
        var keyFile = Path.Combine(_data, "upload-key.pem");
        File.WriteAllText(certFile, pair.CertPem);
        File.WriteAllText(keyFile, TestCertificates.OtherKey());

        var result = await cli.RunAsync("certs", "add", "shop.example.test", "--cert", certFile, "--key", keyFile);

        result.ExitCode.Should().Be(1);
        result.Err.Should().Contain("The private key for shop.example.test does not match its certificate. Install the key");
        Directory.Exists(Path.Combine(_data, "certs", "shop.example.test")).Should().BeFalse();
        var missing = await cli.RunAsync("certs", "add", "shop.example.test", "--cert", Path.Combine(_data, "nope.pem"), "--key", keyFile);
        missing.Err.Should().Contain("Cannot read --cert");
    }
}
