using Slipway.Domains;

namespace Slipway.Tests.Domains;

public sealed class RenewalPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    private static DomainRecord Domain(string? thumbprint = null, DateTimeOffset? renewAt = null, DateTimeOffset? nextAttempt = null,
        string? certId = null, DateTimeOffset? ariChecked = null, string[]? redirects = null) =>
        DomainRecord.New("shop.example.com", "shop", redirects ?? [], false, Now.AddDays(-30)) with
        {
            AcmeThumbprint = thumbprint, RenewAt = renewAt, NextAttemptAt = nextAttempt, AcmeCertId = certId, AriCheckedAt = ariChecked,
        };

    private static ServedCertificate Served(string thumbprint, DateTimeOffset notAfter, bool development = false, params string[] names) =>
        new(thumbprint, notAfter, development, names.Length == 0 ? ["shop.example.com"] : names);

    [Fact]
    public void A_domain_without_a_certificate_of_its_own_is_issued()
    {
        RenewalPolicy.Decide(Domain(), null, Now).Should().Be(DomainAction.Issue);
        RenewalPolicy.Decide(Domain(), Served("DEV", Now.AddDays(300), development: true, "*.localhost"), Now).Should().Be(DomainAction.Issue);
    }

    [Fact]
    public void A_valid_certificate_copied_in_by_hand_wins_until_it_expires()
    {
        RenewalPolicy.Decide(Domain(thumbprint: "OURS"), Served("THEIRS", Now.AddDays(5)), Now).Should().Be(DomainAction.None);
        RenewalPolicy.Decide(Domain(thumbprint: "OURS"), Served("THEIRS", Now.AddDays(-1)), Now).Should().Be(DomainAction.Issue, "an expired manual one is replaced");
    }

    [Fact]
    public void A_failure_waits_out_its_backoff_then_tries_again()
    {
        RenewalPolicy.Decide(Domain(nextAttempt: Now.AddMinutes(1)), null, Now).Should().Be(DomainAction.Wait);
        RenewalPolicy.Decide(Domain(nextAttempt: Now.AddMinutes(-1)), null, Now).Should().Be(DomainAction.Issue);
    }

    [Fact]
    public void Our_certificate_renews_at_its_time_or_when_it_no_longer_covers_every_name()
    {
        var served = Served("OURS", Now.AddDays(30));
        RenewalPolicy.Decide(Domain("OURS", renewAt: Now.AddDays(1)), served, Now).Should().Be(DomainAction.None);
        RenewalPolicy.Decide(Domain("OURS", renewAt: Now), served, Now).Should().Be(DomainAction.Renew);
        RenewalPolicy.Decide(Domain("OURS", renewAt: Now.AddDays(1), redirects: ["www.shop.example.com"]), served, Now)
            .Should().Be(DomainAction.Issue, "a redirect-from name was added, which the certificate does not cover");
    }

    [Fact]
    public void Renewal_information_is_read_every_twelve_hours_for_a_certificate_with_an_id()
    {
        var served = Served("OURS", Now.AddDays(30));
        RenewalPolicy.Decide(Domain("OURS", Now.AddDays(1), certId: "aki.serial"), served, Now).Should().Be(DomainAction.CheckRenewalInfo);
        RenewalPolicy.Decide(Domain("OURS", Now.AddDays(1), certId: "aki.serial", ariChecked: Now.AddHours(-11)), served, Now).Should().Be(DomainAction.None);
        RenewalPolicy.Decide(Domain("OURS", Now.AddDays(1), certId: "aki.serial", ariChecked: Now.AddHours(-12)), served, Now).Should().Be(DomainAction.CheckRenewalInfo);
    }

    [Theory]
    [InlineData(0.0, 60.0)]
    [InlineData(0.5, 59.1)]
    [InlineData(1.0, 58.2)]
    public void Renewal_is_at_two_thirds_of_the_lifetime_at_most_two_percent_earlier(double jitter, double expectedDays)
    {
        var notBefore = Now;
        RenewalPolicy.RenewAt(notBefore, notBefore.AddDays(90), jitter).Should().BeCloseTo(notBefore.AddDays(expectedDays), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void The_cas_window_only_brings_a_renewal_forward()
    {
        var planned = Now.AddDays(30);
        RenewalPolicy.InWindow(Now.AddDays(2), Now.AddDays(4), 0.5, Now, planned).Should().Be(Now.AddDays(3));
        RenewalPolicy.InWindow(Now.AddDays(-4), Now.AddDays(-2), 0.5, Now, planned).Should().Be(Now, "a window in the past means now");
        RenewalPolicy.InWindow(Now.AddDays(-1), Now.AddDays(1), 0.5, Now, planned).Should().Be(Now.AddHours(12), "a window that began counts from now");
        RenewalPolicy.InWindow(Now.AddDays(40), Now.AddDays(50), 0.5, Now, planned).Should().Be(planned, "never later than planned");
    }

    [Theory]
    [InlineData(1, 60)]
    [InlineData(2, 600)]
    [InlineData(3, 3600)]
    [InlineData(7, 86400)]
    [InlineData(50, 86400)]
    public void Failures_back_off_from_a_minute_to_a_day(int failures, int seconds)
    {
        RenewalPolicy.NextAttempt(failures, Now, null, 0.5).Should().Be(Now.AddSeconds(seconds));
        RenewalPolicy.NextAttempt(failures, Now, null, 0.0).Should().Be(Now.AddSeconds(seconds * 0.9));
        RenewalPolicy.NextAttempt(failures, Now, null, 1.0).Should().Be(Now.AddSeconds(seconds * 1.1));
    }

    [Fact]
    public void The_cas_retry_after_is_never_cut_short()
    {
        RenewalPolicy.NextAttempt(1, Now, TimeSpan.FromHours(3), 0.5).Should().Be(Now.AddHours(3));
        RenewalPolicy.NextAttempt(4, Now, TimeSpan.FromMinutes(5), 0.5).Should().Be(Now.AddHours(3), "a shorter Retry-After does not shorten the backoff");
    }
}
