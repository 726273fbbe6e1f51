using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Slipway.Monitoring;
using Slipway.Runtime;
using Slipway.Tests.Edge.Tls;

namespace Slipway.Tests.Monitoring;

/// <summary>Drains against real receivers on loopback (Kestrel for HTTP, TcpListener for syslog, TLS with a certificate
/// made here), fed by a real log store: every line of a burst arrives, in order, and a receiver that hangs never slows
/// the appending side.</summary>
public sealed class DrainDeliveryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Every_line_of_a_10000_line_burst_reaches_an_HTTPS_receiver_in_order_in_NDJSON_batches()
    {
        await using var receiver = await HttpDrainReceiver.StartAsync();
        await using var harness = await DrainHarness.StartAsync();
        var shop = harness.App("shop");
        harness.Add("collector", shop, url: receiver.Url, headers: ["Authorization: Bearer drain-token-4711"], gzip: true);

        harness.Burst(shop.Key, 10_000);
        // Not this drain's: another app's lines, the access log (not asked for), a deployment's log.
        harness.Burst(harness.App("other").Key, 10);
        harness.Logs.Append(LogKeys.Access(shop.Key), new LogEntry(DateTimeOffset.UtcNow, "access", "method=GET path=/ status=200"));
        harness.Logs.Append(LogKeys.Deployment(shop.Key, "d-1"), new LogEntry(DateTimeOffset.UtcNow, "build", "npm ci"));
        await receiver.WaitForAsync(10_000, Patience);

        receiver.Messages.Should().Equal(Enumerable.Range(0, 10_000).Select(DrainHarness.Line), "every line, once, in the order it was written");
        receiver.Batches.Should().HaveCountGreaterThanOrEqualTo(10).And.OnlyContain(size => size <= 1_000);
        receiver.ContentType.Should().Be("application/x-ndjson");
        receiver.ContentEncoding.Should().Be("gzip");
        receiver.Authorization.Should().Be("Bearer drain-token-4711");
        var first = receiver.Lines[0];
        first.GetProperty("app").GetString().Should().Be("shop");
        first.GetProperty("env").GetString().Should().Be("production");
        first.GetProperty("service").GetString().Should().Be("web");
        first.GetProperty("instance").GetString().Should().Be("i-web0");
        first.GetProperty("deployment").GetString().Should().Be("d-burst");
        first.GetProperty("stream").GetString().Should().Be("err");
        receiver.Lines[1].GetProperty("stream").GetString().Should().Be("out");
        UtcTime.TryParse(first.GetProperty("time").GetString(), out _).Should().BeTrue();
        await Eventually(() => harness.View("collector").Delivered == 10_000);
        var view = harness.View("collector");
        view.State.Should().Be(DrainState.Up);
        view.Dropped.Should().Be(0, "the default buffer holds a 10,000-line burst");
        view.LastDeliveredAt.Should().NotBeNull();
    }

    [Fact]
    public async Task A_syslog_receiver_over_TCP_gets_every_line_in_order_as_octet_counted_RFC_5424_messages()
    {
        await using var receiver = SyslogReceiver.Start();
        await using var harness = await DrainHarness.StartAsync(new DrainsOptions { Hostname = "paas.example.com" });
        var staging = harness.App("shop", "staging");
        harness.Add("rsyslog", staging, syslog: $"tcp://127.0.0.1:{receiver.Port}", access: true);

        harness.Redactor.Register(staging.Key, [("STRIPE_KEY", "sk_live_4eC39HqLyjWDarjtT1zdp7dc")]);
        // 10,000 lines in all, what the default buffer holds: on a loaded machine the sender may take nothing before
        // the last one is appended, and one line more would drop the oldest (as designed, counted in Dropped).
        harness.Burst(staging.Key, 9_997);
        harness.Logs.Append(LogKeys.App(staging.Key), new LogEntry(DateTimeOffset.UtcNow, "out", "héllo wörld\nsecond line", "d-2", "web", "i-web1"));
        harness.Logs.Append(LogKeys.App(staging.Key), new LogEntry(DateTimeOffset.UtcNow, "err", "charge failed with key sk_live_4eC39HqLyjWDarjtT1zdp7dc", "d-2", "web", "i-web1"));
        harness.Logs.Append(LogKeys.Access(staging.Key), new LogEntry(DateTimeOffset.UtcNow, "access", "method=GET path=/ status=200", Service: "web"));
        await receiver.WaitForAsync(10_000, Patience);

        harness.View("rsyslog").Dropped.Should().Be(0, "the default buffer holds 10,000 lines whoever runs first");
        var frames = receiver.Frames;
        frames.Select(f => f.Message).Should().Equal([.. Enumerable.Range(0, 9_997).Select(DrainHarness.Line), "héllo wörld\nsecond line",
            "charge failed with key [secret STRIPE_KEY]", "method=GET path=/ status=200"], "in order, redacted as the log store keeps them");
        frames.Should().OnlyContain(f => f.Bom && f.Header.Length == 7 && f.Header[6] == "-", "UTF-8 after a BOM, no structured data");
        frames[0].Header[0].Should().Be("<11>1", "user facility, severity error (stderr), version 1");
        frames[1].Header[0].Should().Be("<14>1", "user facility, informational");
        UtcTime.TryParse(frames[0].Header[1], out _).Should().BeTrue();
        frames[0].Header[2..6].Should().Equal("paas.example.com", "shop-staging", "i-web0", "err");
        frames[^3].Header[4..6].Should().Equal("i-web1", "out");
        frames[^1].Header[4..6].Should().Equal("-", "access");
    }

    [Fact]
    public async Task A_syslog_receiver_over_TLS_gets_every_line_in_order_and_an_untrusted_certificate_is_refused()
    {
        var pair = TestCertificates.SelfSigned("127.0.0.1", ["127.0.0.1", "localhost"]);
        using var ephemeral = X509Certificate2.CreateFromPem(pair.CertPem, pair.KeyPem);
        using var certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        await using var receiver = SyslogReceiver.Start(certificate);
        await using var harness = await DrainHarness.StartAsync();
        var shop = harness.App("shop");
        harness.Add("trusted", shop, syslog: $"tls://127.0.0.1:{receiver.Port}", ca: pair.CertPem);
        harness.Add("untrusted", shop, syslog: $"tls://127.0.0.1:{receiver.Port}");

        harness.Burst(shop.Key, 2_000);
        await receiver.WaitForAsync(2_000, Patience);

        receiver.Frames.Select(f => f.Message).Should().Equal(Enumerable.Range(0, 2_000).Select(DrainHarness.Line));
        receiver.Frames[5].Header[3].Should().Be("shop", "production's APP-NAME is the app's own name");
        await Eventually(() => harness.View("untrusted").State == DrainState.Failing);
        harness.View("untrusted").LastError.Should().Contain("TLS handshake with 127.0.0.1");
        harness.View("trusted").State.Should().Be(DrainState.Up);
        // The warning is logged just after the state turns: waited for, not raced.
        await Eventually(() => harness.Log.Text.Contains("Log drain untrusted of shop to tls://127.0.0.1", StringComparison.Ordinal));
        harness.Log.Text.Should().Contain("Log drain untrusted of shop to tls://127.0.0.1").And.Contain("is failing");
    }

    [Fact]
    public async Task A_full_buffer_drops_the_oldest_lines_and_counts_them_while_Append_stays_fast()
    {
        await using var receiver = await HttpDrainReceiver.StartAsync();
        receiver.Hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await DrainHarness.StartAsync(new DrainsOptions { BufferLines = 1_000, BatchWait = TimeSpan.FromMilliseconds(10) });
        var shop = harness.App("shop");
        harness.Add("stuck", shop, url: receiver.Url);
        harness.Burst(shop.Key, 1);
        await Eventually(() => receiver.Requests == 1);

        // The receiver never answers, so an append that waited for it would wait for the whole test.
        var slowest = TimeSpan.Zero;
        for (var i = 1; i <= 20_000; i++)
        {
            var one = Stopwatch.StartNew();
            harness.Logs.Append(LogKeys.App(shop.Key), new LogEntry(DateTimeOffset.UtcNow, "out", DrainHarness.Line(i), Service: "web"));
            slowest = one.Elapsed > slowest ? one.Elapsed : slowest;
        }

        slowest.Should().BeLessThan(TimeSpan.FromSeconds(2), "no append waits for the hung receiver (it never answers)");
        var view = harness.View("stuck");
        view.Buffered.Should().Be(1_000);
        view.Dropped.Should().Be(19_000, "20,000 lines into a buffer of 1,000, the first line in the hung request");
        view.Delivered.Should().Be(0);

        receiver.Hang.SetResult();
        await receiver.WaitForAsync(1_001, Patience);
        receiver.Messages.Should().Equal([DrainHarness.Line(0), .. Enumerable.Range(19_001, 1_000).Select(DrainHarness.Line)],
            "the oldest lines were dropped; what was kept arrives in order");
        await Eventually(() => harness.View("stuck").Delivered == 1_001);
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        condition().Should().BeTrue();
    }
}
