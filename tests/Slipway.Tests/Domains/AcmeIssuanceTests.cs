using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Domains;
using Slipway.Domains.Acme;
using Slipway.Tests.Domains.Acme;
using Slipway.Tests.Support;

namespace Slipway.Tests.Domains;

/// <summary>The whole path from `domains add` to a browser's handshake, against a real CA: Pebble validates http-01
/// on the platform's own edge (pebble-challtestsrv resolves the test names to 127.0.0.1), the issuer installs the
/// certificate, the edge serves it, `domains renew` replaces it, a failed validation keeps the one that serves, and a
/// handshake for a hostname added with --host orders one on demand.</summary>
[Collection("platform-solo")]
public sealed class AcmeIssuanceTests
{
    private static readonly AcmeClientOptions FastPolling = new()
    {
        PollInterval = TimeSpan.FromMilliseconds(100),
        MaxPollDelay = TimeSpan.FromSeconds(1),
        PollTimeout = TimeSpan.FromSeconds(60),
    };

    [Fact]
    public async Task A_domain_gets_a_certificate_the_edge_serves_renews_on_demand_and_keeps_it_when_validation_fails()
    {
        var httpPort = Ports.Free();
        await using var pebble = await PebbleServer.StartAsync(httpPort, Ports.Free());
        await using var platform = await TestPlatform.StartAsync(https: true, configure: o => o with
        {
            HttpPort = httpPort,
            AcmeDirectory = pebble.Directory.ToString(),
            AcmeCaRoot = pebble.TlsRootPath,
            AcmeEmail = "ops@example.com",
            AcmeClient = FastPolling,
            CertificateTick = TimeSpan.FromSeconds(1),
        });
        (await platform.DeployAsync(EnvApp.Create(), "shop")).ExitCode.Should().Be(0);
        var host = $"shop-{Guid.NewGuid():N}"[..13] + ".acme.test";
        await pebble.AddHostAsync(host);
        using var root = await pebble.RootAsync();

        var added = await platform.CliAsync("domains", "add", host, "--app", "shop");
        added.ExitCode.Should().Be(0, added.Err);
        var issued = await DomainAsync(platform, host, d => d.GetProperty("certificate").GetString() == "acme", pebble);

        using var first = await HandshakeAsync(platform.EdgeHttpsPort!.Value, host, root);
        first.MatchesHostname(host).Should().BeTrue();
        new DateTimeOffset(first.NotAfter.ToUniversalTime()).Should().BeCloseTo(issued.GetProperty("notAfter").GetDateTimeOffset(), TimeSpan.FromSeconds(1));
        (await HttpsGetAsync(platform.EdgeHttpsPort!.Value, host, root)).Should().Be("ok", "the edge serves the app over the issued certificate");
        (await platform.CliAsync("status", "--app", "shop")).Out.Should().Contain("domain.certificate-issued").And.Contain(host);
        JsonDocument.Parse((await platform.CliAsync("acme", "show", "--json")).Out).RootElement.GetProperty("hasAccount").GetBoolean()
            .Should().BeTrue("the account is kept for the next order");

        // openssl s_client sees Pebble's chain: the leaf, then Pebble's intermediate.
        var rootFile = Path.Combine(platform.DataDir, "pebble-root.pem");
        await File.WriteAllTextAsync(rootFile, root.ExportCertificatePem());
        var sClient = await Slipway.Tests.Edge.Tls.ExternalTool.RunAsync("openssl",
            ["s_client", "-connect", $"127.0.0.1:{platform.EdgeHttpsPort}", "-servername", host, "-showcerts", "-CAfile", rootFile, "-verify_return_error"]);
        sClient.ExitCode.Should().Be(0, sClient.ToString());
        sClient.Out.Should().Contain("Verify return code: 0 (ok)").And.MatchRegex("1 s:CN ?= ?Pebble Intermediate CA", sClient.Out);

        // Revoked at the CA (with the certificate's own key, as after a key compromise), then replaced on demand.
        var certificateKey = await File.ReadAllTextAsync(Path.Combine(platform.DataDir, "certs", host, "privkey.pem"));
        using (var revoker = new AcmeClient(pebble.Directory, AcmeAccountKey.Generate(), null, pebble.Handler,
                   Microsoft.Extensions.Logging.Abstractions.NullLogger<AcmeClient>.Instance))
        {
            await revoker.RevokeAsync(first, AcmeRevocationReason.KeyCompromise, AcmeAccountKey.FromPem(certificateKey), CancellationToken.None);
        }
        (await pebble.StatusOfAsync(first)).Should().Be("Revoked");
        (await platform.CliAsync("domains", "renew", host)).ExitCode.Should().Be(0);
        await DomainAsync(platform, host, d => d.GetProperty("certificate").GetString() == "acme" && d.GetProperty("renewAt").GetDateTimeOffset() > DateTimeOffset.UtcNow, pebble);
        var second = await HandshakeAsync(platform.EdgeHttpsPort!.Value, host, root);
        second.SerialNumber.Should().NotBe(first.SerialNumber, "renew ordered and installed a new certificate");
        (await pebble.StatusOfAsync(second)).Should().Be("Valid");
        (await File.ReadAllTextAsync(Path.Combine(platform.DataDir, "certs", host, "privkey.pem"))).Should().NotBe(certificateKey, "the replacement has a key of its own");

        // Another CA (here the same Pebble under another URL, which counts as another): every certificate of the old
        // one is replaced at the next round, without anyone asking.
        var otherCa = new UriBuilder(pebble.Directory) { Host = "localhost" }.Uri.ToString();
        (await platform.CliAsync("acme", "set", "--directory", otherCa)).ExitCode.Should().Be(0);
        await DomainAsync(platform, host, d => d.GetProperty("certificate").GetString() == "acme" && d.GetProperty("renewAt").GetDateTimeOffset() > DateTimeOffset.UtcNow, pebble);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        X509Certificate2 third;
        while ((third = await HandshakeAsync(platform.EdgeHttpsPort!.Value, host, root)).SerialNumber == second.SerialNumber && DateTime.UtcNow < deadline)
        {
            third.Dispose();
            await Task.Delay(200);
        }
        third.SerialNumber.Should().NotBe(second.SerialNumber, "a new CA replaces the old one's certificates");
        second.Dispose();

        await pebble.RemoveHostAsync(host);
        // Pebble reuses the account's valid authorization for 1 order in 100 even with PEBBLE_AUTHZREUSE=0 (it reuses
        // unless rand.Intn(100) > percent), as a real CA does for days: that renewal succeeds without a validation, and
        // the test asks again.
        JsonElement failing = default;
        for (var attempt = 1; failing.ValueKind != JsonValueKind.Object; attempt++)
        {
            attempt.Should().BeLessThan(4, "a renewal without a resolving name fails at least once in three");
            (await platform.CliAsync("domains", "renew", host)).ExitCode.Should().Be(0);
            deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                var row = await DomainAsync(platform, host, _ => true, pebble);
                if (row.GetProperty("certificate").GetString() == "failing")
                {
                    failing = row;
                    break;
                }
                var serving = await HandshakeAsync(platform.EdgeHttpsPort!.Value, host, root);
                if (serving.SerialNumber != third.SerialNumber)
                {
                    third.Dispose();
                    third = serving;
                    break;
                }
                serving.Dispose();
                DateTime.UtcNow.Should().BeBefore(deadline, $"the renewal ends, failed or reissued, within 60 s: {row}\n{pebble.Output}");
                await Task.Delay(200);
            }
        }
        failing.GetProperty("lastError").GetString().Should().Contain($"{host} does not resolve for the CA. Point an A or AAAA record");
        failing.GetProperty("nextAttemptAt").GetDateTimeOffset().Should().BeAfter(DateTimeOffset.UtcNow, "it backs off");
        using var still = await HandshakeAsync(platform.EdgeHttpsPort!.Value, host, root);
        still.SerialNumber.Should().Be(third.SerialNumber, "a failed renewal leaves the certificate that serves");
        third.Dispose();
        (await platform.CliAsync("status", "--app", "shop")).Out.Should().Contain("domain.certificate-failed").And.Contain("The current certificate keeps serving until");

        // A hostname added with --host (no `domains add`) gets its certificate at its first handshake.
        var api = $"api-{Guid.NewGuid():N}"[..12] + ".acme.test";
        await pebble.AddHostAsync(api);
        (await platform.CliAsync("hosts", "add", "--app", "shop", api)).ExitCode.Should().Be(0);
        await FluentActions.Awaiting(() => HandshakeAsync(platform.EdgeHttpsPort!.Value, api, root)).Should().ThrowAsync<Exception>("nothing covers it yet");
        await DomainAsync(platform, api, d => d.GetProperty("certificate").GetString() == "acme", pebble);
        using var onDemand = await HandshakeAsync(platform.EdgeHttpsPort!.Value, api, root);
        onDemand.MatchesHostname(api).Should().BeTrue();

        // A name nothing routes orders nothing, whatever a stranger's handshake asks for.
        var stranger = $"x-{Guid.NewGuid():N}"[..10] + ".acme.test";
        await FluentActions.Awaiting(() => HandshakeAsync(platform.EdgeHttpsPort!.Value, stranger, root)).Should().ThrowAsync<Exception>();

        // Destroying the environment deletes the certificates issued for its domains.
        var certs = Path.Combine(platform.DataDir, "certs");
        Directory.Exists(Path.Combine(certs, host)).Should().BeTrue();
        (await platform.CliAsync("destroy", "--app", "shop", "--yes")).ExitCode.Should().Be(0);
        deadline = DateTime.UtcNow.AddSeconds(30);
        while ((Directory.Exists(Path.Combine(certs, host)) || Directory.Exists(Path.Combine(certs, api))) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
        Directory.Exists(Path.Combine(certs, host)).Should().BeFalse("the issuer deletes a destroyed environment's certificates");
        Directory.Exists(Path.Combine(certs, api)).Should().BeFalse();
        JsonDocument.Parse((await platform.CliAsync("domains", "ls", "--json")).Out).RootElement.GetProperty("domains").GetArrayLength()
            .Should().Be(0, "nor did the stranger's name become a domain");
    }

    [Fact]
    public async Task With_tls_alpn_01_alone_the_CA_validates_on_the_edges_https_port_and_the_edge_then_serves_the_certificate()
    {
        var httpsPort = Ports.Free();
        await using var pebble = await PebbleServer.StartAsync(Ports.Free(), httpsPort);
        await using var platform = await TestPlatform.StartAsync(https: true, configure: o => o with
        {
            HttpsPort = httpsPort,
            AcmeDirectory = pebble.Directory.ToString(),
            AcmeCaRoot = pebble.TlsRootPath,
            AcmeChallenge = "tls-alpn-01",
            AcmeClient = FastPolling,
        });
        (await platform.DeployAsync(EnvApp.Create(), "shop")).ExitCode.Should().Be(0);
        var host = $"tls-{Guid.NewGuid():N}"[..12] + ".acme.test";
        await pebble.AddHostAsync(host);
        using var root = await pebble.RootAsync();

        (await platform.CliAsync("domains", "add", host, "--app", "shop")).ExitCode.Should().Be(0);
        await DomainAsync(platform, host, d => d.GetProperty("certificate").GetString() == "acme", pebble);

        using var served = await HandshakeAsync(httpsPort, host, root);
        served.MatchesHostname(host).Should().BeTrue("validated over acme-tls/1 on the port that then serves it (port 80 was never asked)");
        (await HttpsGetAsync(httpsPort, host, root)).Should().Be("ok");
    }

    [Fact]
    public async Task A_rate_limit_defers_the_next_attempt_past_Retry_After_and_the_CAs_renewal_window_brings_a_renewal_forward()
    {
        // Pebble 2.4 has neither rate limits nor renewal information: a scripted CA answers every new order 429.
        await using var ca = await ScriptedAcmeServer.StartAsync();
        ca.NewOrderAnswer = async response =>
        {
            response.Headers.RetryAfter = "3600";
            await ScriptedAcmeServer.ProblemAsync(response, 429, "rateLimited", "too many certificates already issued for \"acme.test\"");
        };
        ca.RenewalInfo = ("""{"suggestedWindow":{"start":"2026-01-01T00:00:00Z","end":"2026-01-02T00:00:00Z"},"explanationURL":"https://ca.example/incident/7"}""", null);
        await using var platform = await TestPlatform.StartAsync(https: true, configure: o => o with
        {
            AcmeClient = FastPolling,
            CertificateTick = TimeSpan.FromSeconds(1),
        });
        // The scripted CA speaks plain HTTP, which `acme set` refuses for a real CA: set the directory as it is stored.
        var store = platform.Services.GetRequiredService<DomainStore>();
        store.SetSettings(new Dictionary<string, string?> { [AcmeSettings.DirectoryKey] = ca.Directory.ToString() });
        (await platform.DeployAsync(EnvApp.Create(), "shop")).ExitCode.Should().Be(0);

        var limited = $"rate-{Guid.NewGuid():N}"[..13] + ".acme.test";
        (await platform.CliAsync("domains", "add", limited, "--app", "shop")).ExitCode.Should().Be(0);
        var failing = await DomainAsync(platform, limited, d => d.GetProperty("certificate").GetString() == "failing", null);
        failing.GetProperty("nextAttemptAt").GetDateTimeOffset().Should().BeAfter(DateTimeOffset.UtcNow.AddMinutes(59),
            "the CA's Retry-After (1 h) wins over the first backoff step (1 min)");
        failing.GetProperty("lastError").GetString().Should().Contain("rate limit");

        // A domain whose certificate Slipway issued earlier (installed here as the issuer would), renewing in 60 days.
        var renewing = $"ari-{Guid.NewGuid():N}"[..12] + ".acme.test";
        (await platform.CliAsync("domains", "add", renewing, "--app", "shop")).ExitCode.Should().Be(0);
        await DomainAsync(platform, renewing, d => d.GetProperty("certificate").GetString() == "failing", null);
        var (chain, key) = DomainsPlatformTests.SelfSigned(renewing);
        var installed = platform.Services.GetRequiredService<Slipway.Edge.Tls.CertificateStore>().Install(renewing, chain, key);
        var now = DateTimeOffset.UtcNow;
        store.RecordIssued(renewing, installed.Thumbprint, "aGVsbG8.AQID", now, now.AddDays(90), now.AddDays(60));

        // The CA's window ended already: the next round asks for it, renews at once (saying which certificate it
        // replaces), is refused, and the installed certificate keeps serving.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!ca.Signed.Any(s => s.Path == "/order" && s.Payload.Contains(renewing, StringComparison.Ordinal) && s.Payload.Contains("\"replaces\"", StringComparison.Ordinal))
               && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
        ca.RenewalInfoAsked.Should().Contain("aGVsbG8.AQID");
        ca.Signed.Should().Contain(s => s.Path == "/order" && s.Payload.Contains(renewing, StringComparison.Ordinal) && s.Payload.Contains("\"replaces\":\"aGVsbG8.AQID\"", StringComparison.Ordinal),
            "the renewal order names the certificate it replaces");
        var after = await DomainAsync(platform, renewing, d => d.GetProperty("certificate").GetString() == "failing", null);
        after.GetProperty("notAfter").GetDateTimeOffset().Should().BeCloseTo(installed.NotAfter, TimeSpan.FromSeconds(1), "the installed certificate still serves");
        (await platform.CliAsync("status", "--app", "shop")).Out.Should().Contain("The current certificate keeps serving until");
    }

    /// <summary>The domain's row of `domains ls --json` once <paramref name="done"/> holds (within 60 s).</summary>
    private static async Task<JsonElement> DomainAsync(TestPlatform platform, string host, Func<JsonElement, bool> done, PebbleServer? pebble)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement? last = null;
        while (DateTime.UtcNow < deadline)
        {
            var listed = await platform.CliAsync("domains", "ls", "--json");
            listed.ExitCode.Should().Be(0, listed.Err);
            last = JsonDocument.Parse(listed.Out).RootElement.GetProperty("domains").EnumerateArray()
                .FirstOrDefault(d => d.GetProperty("host").GetString() == host).Clone();
            if (last is { ValueKind: JsonValueKind.Object } row && done(row))
            {
                return row;
            }
            await Task.Delay(200);
        }
        throw new Xunit.Sdk.XunitException($"{host} did not get there within 60 s: {last}\n{pebble?.Output}");
    }

    /// <summary>The certificate the edge presents for <paramref name="host"/>, checked to chain to Pebble's root.</summary>
    private static async Task<X509Certificate2> HandshakeAsync(int port, string host, X509Certificate2 root)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, chain, _) => Chains(certificate, chain, root));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host });
        return X509CertificateLoader.LoadCertificate(tls.RemoteCertificate!.GetRawCertData());
    }

    private static async Task<string> HttpsGetAsync(int port, string host, X509Certificate2 root)
    {
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync("127.0.0.1", port, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, chain, _) => Chains(certificate, chain, root) },
        };
        using var client = new HttpClient(handler);
        return await client.GetStringAsync($"https://{host}/");
    }

    private static bool Chains(X509Certificate? certificate, X509Chain? presented, X509Certificate2 root)
    {
        if (certificate is null)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        foreach (var element in presented?.ChainElements ?? (IEnumerable<X509ChainElement>)[])
        {
            chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
