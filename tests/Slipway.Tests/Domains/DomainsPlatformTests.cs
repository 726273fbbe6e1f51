using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Slipway.Edge;
using Slipway.Tests.Edge;
using Slipway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Slipway.Tests.Domains;

/// <summary>Domains through the whole platform: routing, redirect-from names, the ACME challenge path before the
/// app, HTTPS by default once a name has its own certificate, HSTS opt-in, moving, removing and what is refused.
/// (Issuance against a real ACME server is in AcmeIssuanceTests.)</summary>
[Collection("platform")]
public sealed class DomainsPlatformTests
{
    [Fact]
    public async Task A_domain_routes_redirects_answers_challenges_first_and_goes_https_once_it_has_a_certificate()
    {
        await using var platform = await TestPlatform.StartAsync(https: true);
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "shop")).ExitCode.Should().Be(0);
        (await platform.DeployAsync(TestApps.Copy("node-api", "2"), "other")).ExitCode.Should().Be(0);
        var port = platform.EdgePort;
        var httpsPort = platform.EdgeHttpsPort!.Value;

        var added = await platform.CliAsync("domains", "add", "shop.example.test", "--app", "shop", "--redirect-from", "www.shop.example.test", "--hsts");
        added.ExitCode.Should().Be(0, added.ToString());
        added.Out.Should().Contain("shop.example.test now routes to shop").And.Contain("www.shop.example.test redirect");

        var served = await RawHttp.SendAsync(port, "GET /api/items HTTP/1.1", "Host: shop.example.test");
        served.Status.Should().Be(200, "no certificate yet, so no redirect to HTTPS: {0}", served.Text);
        var www = await RawHttp.SendAsync(port, "GET /a/b?c=1 HTTP/1.1", $"Host: www.shop.example.test:{port}");
        www.Status.Should().Be(308);
        www.Header("Location").Should().Be($"http://shop.example.test:{port}/a/b?c=1");

        var challenges = platform.Services.GetRequiredService<AcmeHttpChallenges>();
        challenges.Set("www.shop.example.test", "tok-123", "tok-123.thumb");
        var answer = await RawHttp.SendAsync(port, "GET /.well-known/acme-challenge/tok-123 HTTP/1.1", "Host: www.shop.example.test");
        answer.Status.Should().Be(200, "the challenge is answered before the redirect");
        answer.Body.Should().Be("tok-123.thumb");
        (await RawHttp.SendAsync(port, "GET /.well-known/acme-challenge/tok-123 HTTP/1.1", "Host: shop.example.test")).Status
            .Should().Be(404, "an answer is for the host it was set for; the app answers the rest");

        var listed = await platform.CliAsync("domains", "ls", "--json");
        var domain = JsonDocument.Parse(listed.Out).RootElement.GetProperty("domains")[0];
        domain.GetProperty("host").GetString().Should().Be("shop.example.test");
        domain.GetProperty("hsts").GetBoolean().Should().BeTrue();

        // A certificate of its own (copied in here; ACME installs the same way): plain HTTP now goes to HTTPS, except challenges.
        var (certPem, keyPem) = SelfSigned("shop.example.test");
        var pemDir = TempDirs.Create("domain-pem");
        var certFile = Path.Combine(pemDir, "fullchain.pem");
        var keyFile = Path.Combine(pemDir, "privkey.pem");
        await File.WriteAllTextAsync(certFile, certPem);
        await File.WriteAllTextAsync(keyFile, keyPem);
        (await platform.CliAsync("certs", "add", "shop.example.test", "--cert", certFile, "--key", keyFile)).ExitCode.Should().Be(0);
        TempDirs.Delete(pemDir);
        var redirected = await RawHttp.SendAsync(port, "GET /api/items?x=1 HTTP/1.1", "Host: shop.example.test");
        redirected.Status.Should().Be(308);
        redirected.Header("Location").Should().Be($"https://shop.example.test:{httpsPort}/api/items?x=1");
        challenges.Set("shop.example.test", "tok-456", "tok-456.thumb");
        (await RawHttp.SendAsync(port, "GET /.well-known/acme-challenge/tok-456 HTTP/1.1", "Host: shop.example.test")).Status.Should().Be(200);
        (await RawHttp.SendAsync(port, "GET / HTTP/1.1", "Host: other.localhost")).Status.Should().Be(200, "a name without its own certificate stays on HTTP");

        var (status, hsts) = await HttpsGetAsync(httpsPort, "shop.example.test", "/api/items");
        status.Should().Be(200);
        hsts.Should().Be("max-age=31536000", "the domain opted in to HSTS");
        (await HttpsGetAsync(httpsPort, "other.localhost", "/")).Hsts.Should().BeNull("HSTS is opt-in");

        var manual = JsonDocument.Parse((await platform.CliAsync("domains", "ls", "--json")).Out).RootElement.GetProperty("domains")[0];
        manual.GetProperty("certificate").GetString().Should().Be("manual", "a certificate copied in by hand wins over ACME");

        // Moving is explicit.
        var taken = await platform.CliAsync("domains", "add", "shop.example.test", "--app", "other");
        taken.ExitCode.Should().Be(1);
        taken.Err.Should().Contain("belongs to shop").And.Contain("--move");
        (await platform.CliAsync("domains", "add", "shop.example.test", "--app", "other", "--move")).ExitCode.Should().Be(0);
        (await HttpsGetAsync(httpsPort, "shop.example.test", "/")).Status.Should().Be(200);
        (await platform.CliAsync("hosts", "ls", "--app", "shop", "--json")).Out.Should().NotContain("shop.example.test");
        (await platform.CliAsync("hosts", "ls", "--app", "other", "--json")).Out.Should().Contain("shop.example.test");

        var removed = await platform.CliAsync("domains", "rm", "shop.example.test");
        removed.ExitCode.Should().Be(0, removed.ToString());
        removed.Out.Should().Contain("certs rm shop.example.test", "a certificate copied in by hand is the user's to remove");
        (await RawHttp.SendAsync(port, "GET / HTTP/1.1", "Host: shop.example.test")).Status.Should().Be(404);
        (await RawHttp.SendAsync(port, "GET / HTTP/1.1", "Host: www.shop.example.test")).Status.Should().Be(404, "its redirect went with it");
    }

    [Fact]
    public async Task Names_a_ca_cannot_issue_for_and_names_taken_elsewhere_are_refused_at_add()
    {
        await using var platform = await TestPlatform.StartAsync(https: true);
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "shop")).ExitCode.Should().Be(0);
        (await platform.CliAsync("hosts", "add", "--app", "shop", "api.example.test")).ExitCode.Should().Be(0);

        foreach (var (name, reason) in new[] { ("203.0.113.7", "IP address"), ("*.example.test", "DNS-01"), ("shop.localhost", "development CA") })
        {
            var refused = await platform.CliAsync("domains", "add", name, "--app", "shop");
            refused.ExitCode.Should().Be(1, name);
            refused.Err.Should().Contain(reason);
        }
        var notDeployed = await platform.CliAsync("domains", "add", "x.example.test", "--app", "ghost");
        notDeployed.Err.Should().Contain("has not been deployed");
        var redirectTaken = await platform.CliAsync("domains", "add", "shop.example.test", "--app", "shop", "--redirect-from", "api.example.test");
        redirectTaken.ExitCode.Should().Be(1);
        redirectTaken.Err.Should().Contain("api.example.test is a hostname of shop");

        var adopted = await platform.CliAsync("domains", "add", "api.example.test", "--app", "shop", "--json");
        adopted.ExitCode.Should().Be(0, "a hostname given with --host or hosts add is adopted: {0}", adopted);
        var failing = JsonDocument.Parse((await platform.CliAsync("domains", "ls", "--json")).Out).RootElement.GetProperty("domains")[0];
        failing.GetProperty("host").GetString().Should().Be("api.example.test");

        // A redirect-from name is the domain's: no other app takes it as a domain or a hostname, and a domain's own
        // hostname goes with `domains rm`, not `hosts rm`.
        (await platform.CliAsync("domains", "add", "shop.example.test", "--app", "shop", "--redirect-from", "www.shop.example.test")).ExitCode.Should().Be(0);
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "other")).ExitCode.Should().Be(0);
        var asDomain = await platform.CliAsync("domains", "add", "www.shop.example.test", "--app", "other");
        asDomain.ExitCode.Should().Be(1);
        asDomain.Err.Should().Contain("www.shop.example.test redirects to shop.example.test (a domain of shop)");
        var asHost = await platform.CliAsync("hosts", "add", "--app", "other", "www.shop.example.test");
        asHost.ExitCode.Should().Be(1);
        asHost.Err.Should().Contain("www.shop.example.test redirects to shop.example.test");
        var hostRm = await platform.CliAsync("hosts", "rm", "--app", "shop", "shop.example.test");
        hostRm.ExitCode.Should().Be(1);
        hostRm.Err.Should().Contain("remove it with slipway domains rm shop.example.test");
        JsonDocument.Parse((await platform.CliAsync("domains", "ls", "--json")).Out).RootElement.GetProperty("domains").GetArrayLength().Should().Be(2);
    }

    internal static (string CertPem, string KeyPem) SelfSigned(string host)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>GET over TLS with <paramref name="host"/> as SNI and Host, trusting whatever certificate is served.</summary>
    internal static async Task<(int Status, string? Hsts)> HttpsGetAsync(int port, string host, string path)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, port, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
#pragma warning disable CA5359 // The test checks what is served, not who signed it (a self-signed certificate here).
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
#pragma warning restore CA5359
        });
        using var response = await http.GetAsync($"https://{host}:{port}{path}");
        return ((int)response.StatusCode, response.Headers.TryGetValues("Strict-Transport-Security", out var values) ? values.Single() : null);
    }
}
