using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Uptime;
using Slipway.Tests.Support;

namespace Slipway.Tests.Monitoring.Uptime;

/// <summary>The real checker of a real platform against a real HTTP target on 127.0.0.1, at test intervals (200 ms):
/// incidents open after 2 failures from the first and close after 2 successes, a flapping target opens none, and
/// unreachable or slow targets are failed results with their cause, never a broken loop.</summary>
[Collection("platform-solo")]
public sealed class UptimeCheckerTests
{
    internal static Task<TestPlatform> StartAsync() => TestPlatform.StartAsync(configure: o => o with
    {
        UptimeMinInterval = TimeSpan.FromMilliseconds(100),
        UptimeInterval = TimeSpan.FromMilliseconds(300),
        UptimeTick = TimeSpan.FromMilliseconds(25),
        UptimeReconcile = TimeSpan.FromMilliseconds(200),
    });

    internal static async Task<T> WaitForAsync<T>(Func<T?> probe, string what, double seconds = 10) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            if (probe() is { } value)
            {
                return value;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited {seconds} s for {what}");
            }
            await Task.Delay(25);
        }
    }

    [Fact]
    public async Task An_incident_opens_after_two_failures_at_the_first_and_closes_after_two_successes_at_the_first()
    {
        await using var target = await UptimeTarget.StartAsync();
        await using var platform = await StartAsync();
        var store = platform.Services.GetRequiredService<UptimeStore>();

        var added = await platform.CliAsync("uptime", "add", target.Url("/switch"), "--name", "switch", "--every", "200ms", "--expect", "200");
        added.ExitCode.Should().Be(0, added.ToString());
        added.Out.Should().Contain("Check switch GETs");
        await WaitForAsync(() => target.Requests.Count(r => r.Path == "/switch") >= 2 ? "" : null, "two successful checks");

        target.Up = false;
        var incident = await WaitForAsync(() => store.OpenIncidents().SingleOrDefault(), "the incident");
        var requests = target.Requests.Where(r => r.Path == "/switch").ToList();
        var failures = requests.Where(r => r.Status == 503).ToList();
        failures.Count.Should().BeGreaterThanOrEqualTo(2, "one failure never opens an incident");
        incident.StartedAt.Should().BeOnOrBefore(failures[0].At, "the incident starts at the first failing check, not the second")
            .And.BeAfter(requests.Last(r => r.Status == 200 && r.At < failures[0].At).At);
        incident.Cause.Should().Be("HTTP 503");
        requests.Should().OnlyContain(r => r.Agent == UptimeProbe.UserAgent);

        var listed = JsonDocument.Parse((await platform.CliAsync("uptime", "ls", "--json")).Out).RootElement.EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "switch");
        listed.GetProperty("state").GetString().Should().Be("down");
        listed.GetProperty("incidentId").GetString().Should().Be(incident.Id);
        listed.GetProperty("cause").GetString().Should().Be("HTTP 503");
        var signal = platform.Services.GetServices<IAlertSource>().OfType<UptimeAlerts>().Single()
            .Evaluate(new AlertContext(DateTimeOffset.UtcNow, (_, _) => new AlertRuleSettings()), CancellationToken.None).Single();
        signal.Should().BeEquivalentTo(new { Rule = "uptime", Subject = "check:switch", App = (string?)null, Severity = AlertSeverity.Critical });
        signal.Title.Should().Be($"switch: down (GET {target.Url("/switch")})");
        signal.Detail.Should().Contain("HTTP 503");

        var recoveredAt = DateTimeOffset.UtcNow;
        target.Up = true;
        var closed = await WaitForAsync(() => store.Incident(incident.Id) is { EndedAt: not null } done ? done : null, "the recovery");
        var firstOk = target.Requests.First(r => r.Path == "/switch" && r.Status == 200 && r.At >= recoveredAt);
        closed.EndedAt.Should().BeOnOrBefore(firstOk.At, "it ends at the first of the two successful checks")
            .And.BeAfter(target.Requests.Last(r => r.Path == "/switch" && r.Status == 503).At);
        target.Requests.Count(r => r.Path == "/switch" && r.Status == 200 && r.At >= recoveredAt).Should().BeGreaterThanOrEqualTo(2);
        platform.Services.GetServices<IAlertSource>().OfType<UptimeAlerts>().Single()
            .Evaluate(new AlertContext(DateTimeOffset.UtcNow, (_, _) => new AlertRuleSettings()), CancellationToken.None).Should().BeEmpty();
    }

    [Fact]
    public async Task A_flapping_target_opens_no_incident_and_a_closed_port_or_a_timeout_opens_one_with_its_cause()
    {
        await using var target = await UptimeTarget.StartAsync();
        await using var platform = await StartAsync();
        var store = platform.Services.GetRequiredService<UptimeStore>();
        var closedPort = Ports.Free();

        (await platform.CliAsync("uptime", "add", target.Url("/flap"), "--name", "flap", "--every", "150ms")).ExitCode.Should().Be(0);
        (await platform.CliAsync("uptime", "add", $"http://127.0.0.1:{closedPort}/", "--name", "refused", "--every", "200ms")).ExitCode.Should().Be(0);
        var slow = await platform.CliAsync("uptime", "add", target.Url("/slow"), "--name", "slow", "--every", "400ms", "--timeout", "300ms");
        slow.ExitCode.Should().Be(0, slow.ToString());

        var open = await WaitForAsync(() => store.OpenIncidents() is { Count: 2 } both ? both : null, "incidents of the closed port and the timeout");
        await WaitForAsync(() => target.Requests.Count(r => r.Path == "/flap") >= 10 ? "" : null, "ten checks of the flapping target");

        open.Select(i => (i.Title.Split(':')[0], i.Cause)).Should().BeEquivalentTo([("refused", "connection refused"), ("slow", "timeout after 300ms")]);
        var flap = store.Find("flap")!;
        store.IncidentsOf(flap.Id, DateTimeOffset.UtcNow.AddDays(-1)).Should().BeEmpty("up, down, up, down never holds 2 failures in a row");
        target.Requests.Where(r => r.Path == "/flap").Select(r => r.Status).Distinct().Should().BeEquivalentTo([200, 503]);
        var results = platform.Services.GetRequiredService<UptimeResults>();
        var refused = store.Find("refused")!;
        var before = results.Latest(refused.Id, 1).Single().At;
        await WaitForAsync(() => results.Latest(refused.Id, 1).Single().At > before ? "" : null, "a later check of the closed port: the loop goes on");
        results.Latest(refused.Id, 1).Single().Error.Should().Be("connection refused");

        var pause = await platform.CliAsync("uptime", "pause", "slow");
        pause.ExitCode.Should().Be(0, pause.ToString());
        store.OpenIncidents().Should().NotContain(i => i.Title.StartsWith("slow"), "pausing closes the incident (its alert resolves)");
        var set = await platform.CliAsync("uptime", "set", "flap", "--every", "2s", "--expect", "2xx,503", "--slo", "99");
        set.ExitCode.Should().Be(0, set.ToString());
        set.Out.Should().Contain("every 2s (expects 503,2xx").And.Contain("SLO 99%");
        (await platform.CliAsync("uptime", "set", "flap", "--every", "1ms")).Err.Should().Contain("--every 1ms");

        var rm = await platform.CliAsync("uptime", "rm", "refused");
        rm.ExitCode.Should().Be(0, rm.ToString());
        store.Find("refused").Should().BeNull();
        store.OpenIncidents().Should().BeEmpty();
        (await platform.CliAsync("uptime", "rm", "refused")).Err.Should().Contain("no uptime check named refused");
    }
}
