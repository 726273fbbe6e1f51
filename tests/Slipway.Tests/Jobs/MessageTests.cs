using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Jobs;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Jobs;

/// <summary>Delayed messages published by a real app through $SLIPWAY_MESSAGES_URL, delivered to its own
/// service paths, signed, persisted across a platform restart.</summary>
[Collection("platform-2")]
public sealed class MessageTests
{
    [Fact]
    public async Task A_delayed_message_is_delivered_after_its_delay_even_across_a_platform_restart()
    {
        var clock = new ManualClock();
        var data = TempDirs.Create("platform");
        string id;
        await using (var first = await TestPlatform.StartAsync(dataDir: data, jobsClock: clock))
        {
            first.KeepData = true;
            (await first.DeployAsync(JobsApp.Create([]), "later")).ExitCode.Should().Be(0);
            var (status, body) = await first.PublishAsync("later", new { path = "/receive/welcome", body = "{\"user\":42}", delay = "10m" });
            status.Should().Be(202, body.ToString());
            id = body.GetProperty("id").GetString()!;
            await Task.Delay(600); // a few delivery polls: nothing may go out before its time
            first.Jobs().FindMessage(id)!.Status.Should().Be(MessageStatus.Pending);
            (await first.GetJsonAsync("later", "/received")).GetArrayLength().Should().Be(0);
        }

        await using var platform = await TestPlatform.StartAsync(dataDir: data, jobsClock: clock);
        platform.Jobs().FindMessage(id)!.Status.Should().Be(MessageStatus.Pending, "it survived the restart");
        clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));

        var delivered = await platform.MessageAsync(id, m => m.Status != MessageStatus.Pending);
        delivered.Status.Should().Be(MessageStatus.Delivered, delivered.LastError);
        var received = (await platform.GetJsonAsync("later", "/received")).EnumerateArray().Should().ContainSingle().Subject;
        received.GetProperty("body").GetString().Should().Be("{\"user\":42}");
        received.GetProperty("signed").GetBoolean().Should().BeTrue("the app verified the HMAC with its signing key");
        received.GetProperty("id").GetString().Should().Be(id);
        var ls = await platform.CliAsync("messages", "ls", "--app", "later", "--json");
        JsonDocument.Parse(ls.Out).RootElement[0].GetProperty("status").GetString().Should().Be("delivered");
    }

    [Fact]
    public async Task A_message_is_retried_on_500_and_dead_lettered_after_its_last_retry_then_resent_by_hand()
    {
        var clock = new ManualClock();
        await using var platform = await TestPlatform.StartAsync(jobsClock: clock);
        (await platform.DeployAsync(JobsApp.Create([]), "flaky")).ExitCode.Should().Be(0);

        var (retriedStatus, retried) = await platform.PublishAsync("flaky", new { path = "/receive/fail-twice", body = "a", retries = 3, backoff = "1s" });
        retriedStatus.Should().Be(202, retried.ToString());
        var (doomedStatus, doomed) = await platform.PublishAsync("flaky", new { path = "/receive/always-500", body = "b", retries = 1, backoff = "1s" });
        doomedStatus.Should().Be(202, doomed.ToString());
        var retriedId = retried.GetProperty("id").GetString()!;
        var doomedId = doomed.GetProperty("id").GetString()!;

        var afterFirst = await platform.MessageAsync(retriedId, m => m.Attempts == 1);
        afterFirst.Status.Should().Be(MessageStatus.Pending);
        afterFirst.LastStatus.Should().Be(500);
        JobTime.Parse(afterFirst.NotBefore).Should().BeAfter(clock.GetUtcNow(), "the next attempt waits for its backoff");
        clock.Advance(TimeSpan.FromSeconds(1.5));
        await platform.MessageAsync(retriedId, m => m.Attempts == 2);
        clock.Advance(TimeSpan.FromSeconds(2.5));
        var delivered = await platform.MessageAsync(retriedId, m => m.Status != MessageStatus.Pending);
        delivered.Status.Should().Be(MessageStatus.Delivered);
        delivered.Attempts.Should().Be(3, "two 500s, then a 200");

        var dead = await platform.AdvancingUntilAsync(clock, doomedId, m => m.Status != MessageStatus.Pending);
        dead.Status.Should().Be(MessageStatus.Dead);
        dead.Attempts.Should().Be(2, "the first attempt and its one retry");
        dead.LastStatus.Should().Be(500);
        platform.Services.GetRequiredService<Store>().ListEvents("flaky").Should().Contain(e => e.Kind == "message.dead" && e.Message.Contains(doomedId));
        var ls = await platform.CliAsync("messages", "ls", "--app", "flaky", "--status", "dead");
        ls.Out.Should().Contain(doomedId).And.NotContain(retriedId);

        var again = await platform.CliAsync("messages", "retry", doomedId, "--app", "flaky");
        again.ExitCode.Should().Be(0, again.ToString());
        again.Out.Should().Contain("pending again");
        var deadAgain = await platform.AdvancingUntilAsync(clock, doomedId, m => m.Status == MessageStatus.Dead);
        deadAgain.Attempts.Should().Be(2, "a resend gets a fresh set of attempts");
        var received = (await platform.GetJsonAsync("flaky", "/received")).EnumerateArray()
            .Count(r => r.GetProperty("name").GetString() == "always-500");
        received.Should().Be(4, "two attempts, then two more after the resend");
        (await platform.CliAsync("messages", "retry", retriedId, "--app", "flaky")).Err.Should().Contain("not dead");
    }

    [Fact]
    public async Task The_messages_api_refuses_a_bad_token_and_explains_every_problem_with_a_message()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(JobsApp.Create([]), "strict")).ExitCode.Should().Be(0);

        var (status, body) = await platform.PublishAsync("strict", new { url = "https://example.com/hook", delay = "forever", retries = 99 });
        status.Should().Be(400);
        var detail = body.GetProperty("detail").GetString();
        detail.Should().Contain("example.com is not an allowed host").And.Contain("slipway env set MESSAGES_ALLOWED_HOSTS=example.com")
            .And.Contain("delay: expected a duration").And.Contain("retries: expected 0 to 20");

        var server = platform.Services.GetRequiredService<MessagesServer>();
        using var request = new HttpRequestMessage(HttpMethod.Post, server.BaseUrl + "/v1/messages")
        {
            Content = new StringContent("{\"path\":\"/receive/x\"}", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "slpm_guessed");
        using var refused = await platform.Http.SendAsync(request);
        ((int)refused.StatusCode).Should().Be(401);
        platform.Jobs().ListMessages("strict", null, 10).Should().BeEmpty();
    }
}
