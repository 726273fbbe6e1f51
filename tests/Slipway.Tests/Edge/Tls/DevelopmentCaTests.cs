using Microsoft.Extensions.Logging.Abstractions;
using Slipway.Edge.Tls;
using Slipway.Tests.Support;

namespace Slipway.Tests.Edge.Tls;

/// <summary>The development CA: a name-constrained root, one leaf per *.localhost name issued on first use, checked
/// with real curl and openssl against the real edge.</summary>
public sealed class DevelopmentCaTests : IDisposable
{
    private readonly string _certs = TempDirs.Create("certs");

    public void Dispose() => TempDirs.Delete(_certs);

    private CertificateStore NewStore(int leaves = DevelopmentCertificates.DefaultMaxLeaves) =>
        new(_certs, TimeProvider.System, NullLogger<CertificateStore>.Instance, developmentLeaves: leaves);

    [Fact]
    public async Task Curl_given_the_root_validates_shop_localhost_and_localhost_and_refuses_without_it()
    {
        await using var edge = await HttpsEdge.StartAsync();
        var root = edge.Store.LocalCa.RootPath;
        var port = edge.HttpsPort;

        foreach (var url in new[] { $"https://shop.localhost:{port}/", $"https://localhost:{port}/", $"https://127.0.0.1:{port}/" })
        {
            var curl = await Curl("--cacert", root, "--resolve", $"shop.localhost:{port}:127.0.0.1", "--resolve", $"localhost:{port}:127.0.0.1", url);
            curl.ExitCode.Should().Be(0, $"{url} validates against the root: {curl}");
            curl.Out.Should().MatchRegex("^[2-5][0-9][0-9]$", "an HTTP answer came back over the validated connection");
        }
        var untrusted = await Curl("--resolve", $"shop.localhost:{port}:127.0.0.1", $"https://shop.localhost:{port}/");
        untrusted.ExitCode.Should().Be(60, "without the root curl refuses the certificate");

        var leaf = Path.Combine(edge.Store.LocalCa.Directory, "shop.localhost", "fullchain.pem");
        File.Exists(leaf).Should().BeTrue("the leaf is kept on disk");
        var text = await ExternalTool.RunAsync("openssl", ["x509", "-in", leaf, "-noout", "-ext", "subjectAltName"]);
        text.Out.Should().Contain("DNS:shop.localhost").And.NotContain("*.localhost");
        using var parsed = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(leaf));
        parsed.NotAfter.ToUniversalTime().Should().BeCloseTo(DateTime.UtcNow.AddDays(90), TimeSpan.FromDays(1));
    }

    [Fact]
    public async Task The_root_is_a_name_constrained_ca_that_cannot_vouch_for_other_names()
    {
        using var store = NewStore();
        var root = store.LocalCa.RootPath;
        var text = await ExternalTool.RunAsync("openssl", ["x509", "-in", root, "-noout", "-text"]);
        text.Out.Should().Contain("CA:TRUE, pathlen:0").And.Contain("X509v3 Name Constraints: critical")
            .And.Contain("DNS:localhost").And.Contain("IP:127.0.0.0/255.0.0.0").And.Contain("Not After");
        File.GetUnixFileMode(Path.Combine(store.LocalCa.Directory, "root-key.pem")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        store.LocalCa.Root!.NotAfter.Should().BeCloseTo(DateTime.Now.AddDays(3650), TimeSpan.FromDays(2));

        // A leaf the root signed for a name outside the constraints: openssl refuses it, a localhost one it accepts.
        var signer = DevelopmentCa.LoadRoot(File.ReadAllText(root), File.ReadAllText(Path.Combine(store.LocalCa.Directory, "root-key.pem")));
        var outside = Path.Combine(_certs, "outside.pem");
        File.WriteAllText(outside, DevelopmentCa.IssueLeaf(signer, ["bank.example.com"], DateTimeOffset.UtcNow).CertPem);
        var inside = Path.Combine(_certs, "inside.pem");
        File.WriteAllText(inside, DevelopmentCa.IssueLeaf(signer, ["a.b.localhost", "::1"], DateTimeOffset.UtcNow).CertPem);

        var refused = await ExternalTool.RunAsync("openssl", ["verify", "-CAfile", root, outside]);
        refused.ExitCode.Should().NotBe(0);
        (refused.Out + refused.Err).Should().Contain("permitted subtree violation");
        var accepted = await ExternalTool.RunAsync("openssl", ["verify", "-CAfile", root, inside]);
        accepted.ExitCode.Should().Be(0, accepted.ToString());
    }

    [Fact]
    public void Each_name_gets_its_own_leaf_once_from_cache_and_disk_and_past_the_cap_the_wildcard_one()
    {
        string shop;
        using (var store = NewStore(leaves: 2))
        {
            var first = store.Select("shop.localhost")!;
            store.Select("SHOP.localhost.").Should().BeSameAs(first, "the second handshake is served from the cache");
            HostNames.DnsNamesOf(first).Should().Equal("shop.localhost");
            shop = first.Thumbprint;
            HostNames.DnsNamesOf(store.Select("api.localhost")!).Should().Equal("api.localhost");
            // The cap is reached: random names under .localhost get the one *.localhost leaf, and no new file.
            var spray = Enumerable.Range(0, 20).Select(i => store.Select($"r{i}.localhost")!.Thumbprint).Distinct().ToList();
            spray.Should().ContainSingle();
            HostNames.DnsNamesOf(store.Select("r0.localhost")!).Should().Equal("*.localhost");
            HostNames.DnsNamesOf(store.Select("bad_name!.localhost")!).Should().Equal("*.localhost");
        }
        Directory.GetDirectories(Path.Combine(_certs, DevelopmentCertificates.DirectoryName)).Select(Path.GetFileName).Order()
            .Should().Equal("_wildcard.localhost", "api.localhost", "localhost", "shop.localhost");

        using var restarted = NewStore(leaves: 2);
        restarted.Select("shop.localhost")!.Thumbprint.Should().Be(shop, "a restart serves the leaf kept on disk");
        HostNames.DnsNamesOf(restarted.Select("new.localhost")!).Should().Equal(["*.localhost"], "the cap counts the leaves on disk");
        restarted.Find("other.localhost").Should().NotBeNull("looking a development name up does not issue a leaf");
        Directory.Exists(Path.Combine(_certs, DevelopmentCertificates.DirectoryName, "other.localhost")).Should().BeFalse();
    }

    [Fact]
    public void A_leaf_near_its_end_is_issued_again_by_the_same_root()
    {
        string before, root;
        using (var store = NewStore())
        {
            before = store.Select("shop.localhost")!.Thumbprint;
            root = store.LocalCa.Root!.Thumbprint;
        }
        using var later = new CertificateStore(_certs, new ShiftedClock(TimeSpan.FromDays(65)), NullLogger<CertificateStore>.Instance);
        var renewed = later.Select("shop.localhost")!;
        renewed.Thumbprint.Should().NotBe(before);
        later.LocalCa.Root!.Thumbprint.Should().Be(root);
        renewed.NotAfter.ToUniversalTime().Should().BeCloseTo(DateTime.UtcNow.AddDays(155), TimeSpan.FromDays(1));
    }

    private static Task<ExternalTool.Result> Curl(params string[] args) =>
        ExternalTool.RunAsync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", .. args]);
}
