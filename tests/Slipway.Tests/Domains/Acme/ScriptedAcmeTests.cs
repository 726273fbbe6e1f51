using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Slipway.Domains.Acme;
using Slipway.Tests.Support;

namespace Slipway.Tests.Domains.Acme;

/// <summary>The client against <see cref="ScriptedAcmeServer"/>: renewal information, rate limits, refused nonces,
/// polling, and a CA that cannot be reached. Each test has its own server.</summary>
public sealed class ScriptedAcmeTests
{
    // RFC 9773 §4.1's example certificate id.
    private const string CertificateId = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";

    private static readonly AcmeClientOptions FastPolls = new() { PollInterval = TimeSpan.FromMilliseconds(20), MaxPollDelay = TimeSpan.FromSeconds(5), PollTimeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Renewal_information_gives_the_window_the_explanation_and_when_to_ask_again()
    {
        await using var server = await ScriptedAcmeServer.StartAsync();
        server.RenewalInfo = ("""{"suggestedWindow":{"start":"2026-03-01T00:00:00Z","end":"2026-03-03T12:00:00Z"},"explanationURL":"https://ca.example/incident/42"}""", "21600");
        using var key = AcmeAccountKey.Generate();
        using var client = Client(server, key);

        var info = await client.RenewalInfoAsync(CertificateId, CancellationToken.None);

        info.Should().NotBeNull();
        info!.WindowStart.Should().Be(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        info.WindowEnd.Should().Be(new DateTimeOffset(2026, 3, 3, 12, 0, 0, TimeSpan.Zero));
        info.ExplanationUrl.Should().Be(new Uri("https://ca.example/incident/42"));
        info.RetryAfter.Should().Be(TimeSpan.FromHours(6));
        server.RenewalInfoAsked.Should().Equal(CertificateId);
    }

    [Fact]
    public async Task A_CA_without_renewal_information_answers_null_and_gets_no_replaces_field()
    {
        await using var server = await ScriptedAcmeServer.StartAsync(withRenewalInfo: false);
        using var key = AcmeAccountKey.Generate();
        using var client = Client(server, key);
        await client.CreateAccountAsync([], true, null, CancellationToken.None);

        (await client.RenewalInfoAsync(CertificateId, CancellationToken.None)).Should().BeNull();
        await client.NewOrderAsync(["shop.example"], CertificateId, CancellationToken.None);

        server.RenewalInfoAsked.Should().BeEmpty();
        var order = JsonNode.Parse(server.Signed.Single(s => s.Path == "/order").Payload)!;
        order["replaces"].Should().BeNull();
    }

    [Fact]
    public async Task A_renewal_order_names_the_certificate_it_replaces()
    {
        await using var server = await ScriptedAcmeServer.StartAsync();
        using var key = AcmeAccountKey.Generate();
        using var client = Client(server, key);
        await client.CreateAccountAsync([], true, null, CancellationToken.None);

        var order = await client.NewOrderAsync(["shop.example"], CertificateId, CancellationToken.None);

        order.Url.Should().Be(new Uri(server.Base, "/order/1"));
        var payload = JsonNode.Parse(server.Signed.Single(s => s.Path == "/order").Payload)!;
        payload["replaces"]!.GetValue<string>().Should().Be(CertificateId);
        payload["identifiers"]![0]!["value"]!.GetValue<string>().Should().Be("shop.example");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_429_rate_limit_surfaces_its_Retry_After_in_seconds_or_as_a_date(bool asDate)
    {
        await using var server = await ScriptedAcmeServer.StartAsync();
        var retryAt = DateTimeOffset.UtcNow.AddHours(2);
        server.NewOrderAnswer = async response =>
        {
            response.Headers.RetryAfter = asDate ? retryAt.ToString("r", CultureInfo.InvariantCulture) : "7200";
            await ScriptedAcmeServer.ProblemAsync(response, 429, "rateLimited", "too many certificates already issued for \"example\"");
        };
        using var key = AcmeAccountKey.Generate();
        using var client = Client(server, key);
        await client.CreateAccountAsync([], true, null, CancellationToken.None);

        var failure = await client.Invoking(c => c.NewOrderAsync(["shop.example"], null, CancellationToken.None)).Should().ThrowAsync<AcmeException>();

        failure.Which.Status.Should().Be(HttpStatusCode.TooManyRequests);
        failure.Which.Is("rateLimited").Should().BeTrue();
        failure.Which.RetryAfter.Should().BeCloseTo(TimeSpan.FromHours(2), TimeSpan.FromSeconds(5));
        failure.Which.Message.Should().Contain("rate limit is reached; retry after 20").And.MatchRegex(@"\(in (1h59m\d+s|2h)\)")
            .And.Contain("too many certificates already issued");
    }

    [Fact]
    public async Task A_refused_nonce_is_retried_once_with_the_fresh_nonce_of_the_refusal()
    {
        await using var server = await ScriptedAcmeServer.StartAsync();
        using var key = AcmeAccountKey.Generate();
        using var client = Client(server, key);
        await client.CreateAccountAsync([], true, null, CancellationToken.None);
        server.RejectNonces = 1;

        var order = await client.NewOrderAsync(["shop.example"], null, CancellationToken.None);

        order.Status.Should().Be(AcmeStatus.Pending);
        server.Refused.Should().ContainSingle();
        var accepted = server.Signed.Single(s => s.Path == "/order");
        accepted.Nonce.Should().NotBe(server.Refused.Single());
    }

    [Fact]
    public async Task A_nonce_refused_twice_is_an_error_after_exactly_one_retry()
    {
        await using var server = await ScriptedAcmeServer.StartAsync();
        using var key = AcmeAccountKey.Generate();
        using var client = Client(server, key);
        await client.CreateAccountAsync([], true, null, CancellationToken.None);
        server.RejectNonces = 5;

        var failure = await client.Invoking(c => c.NewOrderAsync(["shop.example"], null, CancellationToken.None)).Should().ThrowAsync<AcmeException>();

        failure.Which.Is("badNonce").Should().BeTrue();
        server.Refused.Should().HaveCount(2);
        server.RejectNonces.Should().Be(3);
    }

    [Theory]
    [InlineData("1", 5000, 900, 4000)]      // honoured: waits the second the CA asked although its own interval is 20 ms
    [InlineData("3600", 300, 250, 2500)]    // bounded: an hour asked, MaxPollDelay (300 ms) waited
    public async Task Polling_waits_what_Retry_After_asks_within_the_bound(string retryAfter, int maxDelayMs, int atLeastMs, int atMostMs)
    {
        await using var server = await ScriptedAcmeServer.StartAsync();
        server.OrderPolls.Enqueue(("pending", retryAfter));
        using var key = AcmeAccountKey.Generate();
        using var client = Client(server, key, FastPolls with { MaxPollDelay = TimeSpan.FromMilliseconds(maxDelayMs) });
        await client.CreateAccountAsync([], true, null, CancellationToken.None);
        var watch = Stopwatch.StartNew();

        var order = await client.WaitForOrderAsync(new Uri(server.Base, "/order/1"), CancellationToken.None);

        watch.Stop();
        order.Status.Should().Be(AcmeStatus.Ready);
        server.Signed.Count(s => s.Path == "/order/1").Should().Be(2);
        watch.ElapsedMilliseconds.Should().BeInRange(atLeastMs, atMostMs);
    }

    [Fact]
    public async Task Polling_gives_up_after_the_timeout_saying_so()
    {
        await using var server = await ScriptedAcmeServer.StartAsync();
        for (var i = 0; i < 100; i++)
        {
            server.OrderPolls.Enqueue(("processing", null));
        }
        using var key = AcmeAccountKey.Generate();
        using var client = Client(server, key, FastPolls with { PollTimeout = TimeSpan.FromMilliseconds(300), MaxPollDelay = TimeSpan.FromMilliseconds(50) });
        await client.CreateAccountAsync([], true, null, CancellationToken.None);

        var failure = await client.Invoking(c => c.WaitForOrderAsync(new Uri(server.Base, "/order/1"), CancellationToken.None)).Should().ThrowAsync<AcmeException>();

        failure.Which.Message.Should().Contain("still not done after 300ms");
    }

    [Fact]
    public async Task A_CA_that_refuses_connections_is_named_with_its_directory_and_what_failed()
    {
        var directory = new Uri($"http://127.0.0.1:{Ports.Free()}/directory");
        using var key = AcmeAccountKey.Generate();
        using var handler = new SocketsHttpHandler();
        using var client = new AcmeClient(directory, key, null, handler, new RecordingLogger<AcmeClient>(), TimeProvider.System, FastPolls);

        var failure = await client.Invoking(c => c.CreateAccountAsync([], true, null, CancellationToken.None)).Should().ThrowAsync<AcmeException>();

        failure.Which.Message.Should().Contain(directory.OriginalString).And.Contain("connection was refused").And.Contain("--directory");
        failure.Which.Status.Should().BeNull();
    }

    [Fact]
    public async Task A_CA_that_answers_503_is_unreachable_with_its_Retry_After()
    {
        await using var down = await Edge.LoopbackServer.StartAsync(async context =>
        {
            context.Response.StatusCode = 503;
            context.Response.Headers.RetryAfter = "120";
            await context.Response.WriteAsync("<html>maintenance</html>");
        });
        var directory = new Uri($"http://127.0.0.1:{down.Port}/directory");
        using var key = AcmeAccountKey.Generate();
        using var handler = new SocketsHttpHandler();
        using var client = new AcmeClient(directory, key, null, handler, new RecordingLogger<AcmeClient>(), TimeProvider.System, FastPolls);

        var failure = await client.Invoking(c => c.DirectoryAsync(CancellationToken.None)).Should().ThrowAsync<AcmeException>();

        failure.Which.Message.Should().Contain(directory.OriginalString).And.Contain("answered HTTP 503");
        failure.Which.Status.Should().Be(HttpStatusCode.ServiceUnavailable);
        failure.Which.RetryAfter.Should().Be(TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task Every_request_carries_the_Slipway_user_agent()
    {
        string? userAgent = null;
        await using var server = await Edge.LoopbackServer.StartAsync(context =>
        {
            userAgent = context.Request.Headers.UserAgent;
            context.Response.StatusCode = 404;
            return Task.CompletedTask;
        });
        using var key = AcmeAccountKey.Generate();
        using var handler = new SocketsHttpHandler();
        using var client = new AcmeClient(new Uri($"http://127.0.0.1:{server.Port}/dir"), key, null, handler, new RecordingLogger<AcmeClient>());

        await client.Invoking(c => c.DirectoryAsync(CancellationToken.None)).Should().ThrowAsync<AcmeException>();

        userAgent.Should().MatchRegex(@"^Slipway/\d+\.\d+\.\d+$");
    }

    private static AcmeClient Client(ScriptedAcmeServer server, AcmeAccountKey key, AcmeClientOptions? options = null) =>
        new(server.Directory, key, null, server.Handler, new RecordingLogger<AcmeClient>(), TimeProvider.System, options ?? FastPolls);
}
