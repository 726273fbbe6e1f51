using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Slipway.Edge.Tls;
using Slipway.Tests.Support;

namespace Slipway.Tests.Edge.Tls;

/// <summary>Real TLS handshakes against a real Kestrel that selects certificates from the store by SNI.</summary>
public sealed class CertificateStoreTlsTests : IDisposable
{
    private readonly string _certs = TempDirs.Create("certs");

    public void Dispose() => TempDirs.Delete(_certs);

    private CertificateStore NewStore(TimeProvider? clock = null, TimeSpan? poll = null) =>
        new(_certs, clock ?? TimeProvider.System, NullLogger<CertificateStore>.Instance, poll);

    [Fact]
    public async Task Each_server_name_gets_its_own_certificate()
    {
        var shop = TestCertificates.SelfSigned("shop.example.test", ["shop.example.test"]);
        var blog = TestCertificates.SelfSigned("blog.example.test", ["blog.example.test"], rsa: true);
        TestCertificates.WriteFiles(_certs, "shop.example.test", shop.CertPem, shop.KeyPem);
        TestCertificates.WriteFiles(_certs, "blog.example.test", blog.CertPem, blog.KeyPem);
        using var store = NewStore();
        await using var server = await TlsServer.StartAsync(store);

        (await server.HandshakeAsync("shop.example.test")).SerialNumber.Should().Be(shop.Serial);
        (await server.HandshakeAsync("BLOG.example.test.")).SerialNumber.Should().Be(blog.Serial);
        using var trusted = X509Certificate2.CreateFromPem(shop.CertPem);
        (await server.GetAsync("shop.example.test", trusted)).Should().Be("HTTP/1.1 hello shop.example.test over https");
        (await server.GetAsync("shop.example.test", trusted, HttpVersion.Version20)).Should().Be("HTTP/2.0 hello shop.example.test over https");
    }

    [Fact]
    public async Task A_wildcard_covers_exactly_one_label_and_an_exact_host_wins_over_it()
    {
        var wildcard = TestCertificates.SelfSigned("*.example.test", ["*.example.test"]);
        var exact = TestCertificates.SelfSigned("api.example.test", ["api.example.test"]);
        TestCertificates.WriteFiles(_certs, "_wildcard.example.test", wildcard.CertPem, wildcard.KeyPem);
        TestCertificates.WriteFiles(_certs, "api.example.test", exact.CertPem, exact.KeyPem);
        using var store = NewStore();
        await using var server = await TlsServer.StartAsync(store);

        (await server.HandshakeAsync("shop.example.test")).SerialNumber.Should().Be(wildcard.Serial);
        (await server.HandshakeAsync("api.example.test")).SerialNumber.Should().Be(exact.Serial);
        using var trusted = X509Certificate2.CreateFromPem(wildcard.CertPem);
        await server.HandshakeTrustingAsync("docs.example.test", trusted); // .NET's own name check accepts it
        // Neither the bare domain nor two labels down are covered: no certificate, the handshake fails.
        await FluentActions.Awaiting(() => server.HandshakeAsync("a.b.example.test")).Should().ThrowAsync<IOException>();
        await FluentActions.Awaiting(() => server.HandshakeAsync("example.test")).Should().ThrowAsync<IOException>();
        await FluentActions.Awaiting(() => server.HandshakeAsync("unknown.test")).Should().ThrowAsync<IOException>();
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("")]
    public async Task Localhost_no_SNI_and_IPs_get_the_localhost_leaf_of_the_development_ca(string serverName)
    {
        using var store = NewStore();
        await using var server = await TlsServer.StartAsync(store);

        var presented = await server.HandshakeAsync(serverName);
        presented.Thumbprint.Should().Be(store.Current.Development!.Thumbprint);
        presented.Subject.Should().Contain("CN=localhost");
        presented.Issuer.Should().Be(store.LocalCa.Root!.Subject);
        HostNames.DnsNamesOf(presented).Should().Equal("localhost", "127.0.0.1", "::1");
        presented.NotAfter.Should().BeCloseTo(DateTime.Now.AddDays(90), TimeSpan.FromDays(1));
        // Trusting the root (as a developer would), .NET's full validation accepts the name.
        if (serverName is "localhost" or "127.0.0.1")
        {
            await server.HandshakeTrustingAsync(serverName, store.LocalCa.Root);
        }
    }

    [Fact]
    public async Task The_intermediate_from_fullchain_is_sent_so_a_client_that_trusts_only_the_root_accepts()
    {
        var (pair, root) = TestCertificates.Chain("secure.example.test");
        using (root)
        {
            TestCertificates.WriteFiles(_certs, "secure.example.test", pair.CertPem, pair.KeyPem);
            using var store = NewStore();
            await using var server = await TlsServer.StartAsync(store, withChain: true);

            await server.HandshakeTrustingAsync("secure.example.test", root);
            (await server.GetAsync("secure.example.test", root, HttpVersion.Version20)).Should().Be("HTTP/2.0 hello secure.example.test over https");
            (await server.HandshakeAsync("secure.example.test")).SerialNumber.Should().Be(pair.Serial);
            (await server.HandshakeAsync("app.localhost")).Issuer.Should().Be(store.LocalCa.Root!.Subject);
        }
    }

    [Fact]
    public async Task Replaced_files_are_served_after_the_next_poll_without_a_restart()
    {
        var first = TestCertificates.SelfSigned("shop.example.test", ["shop.example.test"]);
        var untouched = TestCertificates.SelfSigned("blog.example.test", ["blog.example.test"]);
        TestCertificates.WriteFiles(_certs, "shop.example.test", first.CertPem, first.KeyPem);
        TestCertificates.WriteFiles(_certs, "blog.example.test", untouched.CertPem, untouched.KeyPem);
        using var store = NewStore(poll: TimeSpan.FromMilliseconds(100));
        var blogEntry = store.Find("blog.example.test");
        await using var server = await TlsServer.StartAsync(store);
        (await server.HandshakeAsync("shop.example.test")).SerialNumber.Should().Be(first.Serial);

        var renewed = TestCertificates.SelfSigned("shop.example.test", ["shop.example.test"]);
        TestCertificates.WriteFiles(_certs, "shop.example.test", renewed.CertPem, renewed.KeyPem);
        var added = TestCertificates.SelfSigned("new.example.test", ["new.example.test"]);
        TestCertificates.WriteFiles(_certs, "new.example.test", added.CertPem, added.KeyPem);

        await Eventually(async () => (await server.HandshakeAsync("shop.example.test")).SerialNumber == renewed.Serial);
        await Eventually(async () => (await server.HandshakeAsync("new.example.test")).SerialNumber == added.Serial);
        store.Find("blog.example.test").Should().BeSameAs(blogEntry, "unchanged files are not loaded again");
        (await server.HandshakeAsync("blog.example.test")).SerialNumber.Should().Be(untouched.Serial);
    }

    [Fact]
    public async Task A_key_that_does_not_match_is_reported_and_skipped_while_other_hosts_keep_working()
    {
        var good = TestCertificates.SelfSigned("good.example.test", ["good.example.test"]);
        var bad = TestCertificates.SelfSigned("bad.example.test", ["bad.example.test"]);
        TestCertificates.WriteFiles(_certs, "good.example.test", good.CertPem, good.KeyPem);
        TestCertificates.WriteFiles(_certs, "bad.example.test", bad.CertPem, TestCertificates.OtherKey());
        using var store = NewStore();
        await using var server = await TlsServer.StartAsync(store);

        var problem = store.Current.Problems.Should().ContainSingle().Subject;
        problem.Host.Should().Be("bad.example.test");
        problem.Message.Should().Contain("private key for bad.example.test does not match its certificate").And.Contain("Install the key");
        problem.Message.Should().NotContain("PRIVATE KEY");
        (await server.HandshakeAsync("good.example.test")).SerialNumber.Should().Be(good.Serial);
        // No certificate for the name: Kestrel aborts the handshake.
        await FluentActions.Awaiting(() => server.HandshakeAsync("bad.example.test")).Should().ThrowAsync<IOException>();
    }

    [Fact]
    public async Task A_good_certificate_broken_on_disk_keeps_being_served_until_fixed()
    {
        var good = TestCertificates.SelfSigned("shop.example.test", ["shop.example.test"]);
        TestCertificates.WriteFiles(_certs, "shop.example.test", good.CertPem, good.KeyPem);
        using var store = NewStore(poll: TimeSpan.FromMilliseconds(100));
        await using var server = await TlsServer.StartAsync(store);

        File.WriteAllText(Path.Combine(_certs, "shop.example.test", "privkey.pem"), TestCertificates.OtherKey());
        await Eventually(() => Task.FromResult(store.Current.Problems.Count == 1));
        (await server.HandshakeAsync("shop.example.test")).SerialNumber.Should().Be(good.Serial);
    }

    /// <summary>Until <paramref name="condition"/> holds; a refused handshake counts as "not yet" (a host whose files
    /// were just written has no certificate before the next poll, and Kestrel aborts its handshake).</summary>
    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await Holds(condition))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The condition did not become true within 15 s.");
            }
            await Task.Delay(50);
        }
    }

    private static async Task<bool> Holds(Func<Task<bool>> condition)
    {
        try
        {
            return await condition();
        }
        catch (IOException)
        {
            return false;
        }
    }
}
