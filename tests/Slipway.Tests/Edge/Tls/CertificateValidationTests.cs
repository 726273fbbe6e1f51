using Microsoft.Extensions.Logging.Abstractions;
using Slipway.Edge.Tls;
using Slipway.Tests.Support;

namespace Slipway.Tests.Edge.Tls;

/// <summary>What Install accepts and refuses, and what it leaves on disk.</summary>
public sealed class CertificateValidationTests : IDisposable
{
    private readonly string _certs = TempDirs.Create("certs");

    public void Dispose() => TempDirs.Delete(_certs);

    private CertificateStore NewStore(TimeProvider? clock = null) => new(_certs, clock ?? TimeProvider.System, NullLogger<CertificateStore>.Instance);

    [Fact]
    public void Install_writes_the_acme_layout_with_a_private_key_and_serves_it_at_once()
    {
        using var store = NewStore();
        var pair = TestCertificates.SelfSigned("shop.example.test", ["shop.example.test", "www.shop.example.test"], rsa: true);

        var entry = store.Install("Shop.Example.Test", pair.CertPem, pair.KeyPem);

        entry.Host.Should().Be("shop.example.test");
        entry.Source.Should().Be(CertificateSource.File);
        entry.Names.Should().Equal("shop.example.test", "www.shop.example.test");
        var key = Path.Combine(_certs, "shop.example.test", "privkey.pem");
        File.GetUnixFileMode(key).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.ReadAllText(Path.Combine(_certs, "shop.example.test", "fullchain.pem")).Should().Be(pair.CertPem);
        Directory.GetFiles(Path.Combine(_certs, "shop.example.test")).Should().HaveCount(2, "no temp file is left behind");
        store.Select("shop.example.test")!.SerialNumber.Should().Be(pair.Serial);
    }

    [Fact]
    public void A_wildcard_is_stored_under_the_wildcard_directory_name()
    {
        using var store = NewStore();
        var pair = TestCertificates.SelfSigned("*.example.test", ["*.example.test"]);

        store.Install("*.example.test", pair.CertPem, pair.KeyPem);

        File.Exists(Path.Combine(_certs, "_wildcard.example.test", "fullchain.pem")).Should().BeTrue();
        store.Select("docs.example.test")!.SerialNumber.Should().Be(pair.Serial);
        store.Select("example.test").Should().BeNull();
    }

    [Fact]
    public void Install_refuses_a_key_that_does_not_match_and_keeps_the_installed_pair()
    {
        using var store = NewStore();
        var good = TestCertificates.SelfSigned("shop.example.test", ["shop.example.test"]);
        store.Install("shop.example.test", good.CertPem, good.KeyPem);
        var other = TestCertificates.SelfSigned("shop.example.test", ["shop.example.test"]);

        var act = () => store.Install("shop.example.test", other.CertPem, TestCertificates.OtherKey(rsa: true));

        act.Should().Throw<UserException>().WithMessage("The private key for shop.example.test does not match its certificate.*");
        store.Select("shop.example.test")!.SerialNumber.Should().Be(good.Serial);
        File.ReadAllText(Path.Combine(_certs, "shop.example.test", "fullchain.pem")).Should().Be(good.CertPem);
    }

    [Fact]
    public void Install_explains_expired_not_yet_valid_wrong_host_and_unreadable_files()
    {
        using var store = NewStore();
        var now = DateTimeOffset.UtcNow;
        var expired = TestCertificates.SelfSigned("a.example.test", ["a.example.test"], now.AddDays(-90), now.AddDays(-1));
        var future = TestCertificates.SelfSigned("a.example.test", ["a.example.test"], now.AddDays(2), now.AddDays(90));
        var other = TestCertificates.SelfSigned("b.example.test", ["b.example.test"]);

        FluentActions.Invoking(() => store.Install("a.example.test", expired.CertPem, expired.KeyPem))
            .Should().Throw<UserException>().WithMessage("The certificate for a.example.test expired on *Renew it*");
        FluentActions.Invoking(() => store.Install("a.example.test", future.CertPem, future.KeyPem))
            .Should().Throw<UserException>().WithMessage("The certificate for a.example.test is not valid yet*clock*");
        FluentActions.Invoking(() => store.Install("a.example.test", other.CertPem, other.KeyPem))
            .Should().Throw<UserException>().WithMessage("The certificate for a.example.test is for b.example.test, not a.example.test*");
        FluentActions.Invoking(() => store.Install("a.example.test", "not a certificate", other.KeyPem))
            .Should().Throw<UserException>().WithMessage("fullchain.pem for a.example.test contains no PEM certificate*");
        FluentActions.Invoking(() => store.Install("a.example.test", other.KeyPem, other.CertPem))
            .Should().Throw<UserException>().WithMessage("*did not swap the certificate and key*");
        FluentActions.Invoking(() => store.Install("not a host!", other.CertPem, other.KeyPem))
            .Should().Throw<UserException>().WithMessage("'not a host!' is not a host name*");
        Directory.GetDirectories(_certs).Select(Path.GetFileName).Should().Equal(DevelopmentCertificates.DirectoryName);
    }

    [Fact]
    public void The_development_root_and_leaves_are_kept_across_restarts_and_renewed_near_expiry_or_when_damaged()
    {
        string root, leaf;
        using (var store = NewStore())
        {
            root = store.LocalCa.Root!.Thumbprint;
            leaf = store.Current.Development!.Thumbprint;
        }
        var development = Path.Combine(_certs, DevelopmentCertificates.DirectoryName);
        File.GetUnixFileMode(Path.Combine(development, "root-key.pem")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var keyPath = Path.Combine(development, "localhost", "privkey.pem");
        File.GetUnixFileMode(keyPath).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (var again = NewStore())
        {
            again.LocalCa.Root!.Thumbprint.Should().Be(root, "a restart reuses the stored root");
            again.Current.Development!.Thumbprint.Should().Be(leaf, "and the stored leaf");
        }
        string renewed;
        using (var later = NewStore(new ShiftedClock(TimeSpan.FromDays(70))))
        {
            renewed = later.Current.Development!.Thumbprint;
            renewed.Should().NotBe(leaf, "20 days before its end the leaf is issued again");
            later.LocalCa.Root!.Thumbprint.Should().Be(root, "by the same root");
        }
        File.WriteAllText(keyPath, "garbage");
        using (var damaged = NewStore())
        {
            damaged.Current.Development!.Thumbprint.Should().NotBe(renewed);
            damaged.LocalCa.Root!.Thumbprint.Should().Be(root);
        }
        File.WriteAllText(Path.Combine(development, "root-key.pem"), "garbage");
        using (var newRoot = NewStore())
        {
            newRoot.LocalCa.Root!.Thumbprint.Should().NotBe(root, "a damaged root is made anew");
            DevelopmentCa.IssuedBy(newRoot.Current.Development!.Certificate, newRoot.LocalCa.Root).Should().BeTrue("with its leaves");
        }
    }

    [Fact]
    public void Remove_stops_serving_a_host()
    {
        using var store = NewStore();
        var pair = TestCertificates.SelfSigned("shop.example.test", ["shop.example.test"]);
        store.Install("shop.example.test", pair.CertPem, pair.KeyPem);

        store.Remove("shop.example.test").Should().BeTrue();

        store.Select("shop.example.test").Should().BeNull();
        store.Remove("shop.example.test").Should().BeFalse();
    }

    [Fact]
    public async Task A_certificate_that_expires_while_served_is_dropped_and_reported_at_the_next_poll()
    {
        var now = DateTimeOffset.UtcNow;
        var brief = TestCertificates.SelfSigned("shop.example.test", ["shop.example.test"], now.AddDays(-1), now.AddSeconds(2));
        TestCertificates.WriteFiles(_certs, "shop.example.test", brief.CertPem, brief.KeyPem);
        using var store = new CertificateStore(_certs, TimeProvider.System, NullLogger<CertificateStore>.Instance, TimeSpan.FromMilliseconds(100));
        store.Select("shop.example.test").Should().NotBeNull();

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (store.Select("shop.example.test") is not null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        store.Select("shop.example.test").Should().BeNull();
        store.Current.Problems.Should().ContainSingle().Which.Message.Should().StartWith("The certificate for shop.example.test expired on");
    }

    [Fact]
    public void Two_directories_for_one_host_serve_one_and_report_the_other()
    {
        var lower = TestCertificates.SelfSigned("shop.example.test", ["shop.example.test"]);
        var upper = TestCertificates.SelfSigned("shop.example.test", ["shop.example.test"]);
        TestCertificates.WriteFiles(_certs, "Shop.example.test", upper.CertPem, upper.KeyPem);
        TestCertificates.WriteFiles(_certs, "shop.example.test", lower.CertPem, lower.KeyPem);

        using var store = NewStore();

        store.Select("shop.example.test")!.SerialNumber.Should().Be(upper.Serial, "directories are read in ordinal order");
        store.Current.Problems.Should().ContainSingle().Which.Message.Should().Contain("second directory for shop.example.test");
    }

    [Theory]
    [InlineData("*.example.com", "a.example.com", true)]
    [InlineData("*.example.com", "A.Example.COM", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "a.b.example.com", false)]
    [InlineData("a.example.com", "a.example.com", true)]
    [InlineData("a.example.com", "b.example.com", false)]
    public void Wildcard_names_cover_one_label(string certificateName, string host, bool covered) =>
        HostNames.Covers(certificateName, host).Should().Be(covered);

    [Theory]
    [InlineData("shop.example.com", "shop.example.com")]
    [InlineData("_wildcard.example.com", "*.example.com")]
    [InlineData("_development", null)]
    [InlineData(".tmp-0123", null)]
    [InlineData("a*b.example.com", null)]
    public void Directory_names_map_to_hosts(string directory, string? host) =>
        HostNames.FromDirectoryName(directory).Should().Be(host);
}
