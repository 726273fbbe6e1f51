using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Api;
using Slipway.Monitoring;
using Slipway.Tests.Support;

namespace Slipway.Tests.Monitoring;

/// <summary>/metrics as a team uses it: a real Prometheus (Debian's) scrapes the platform on loopback and finds the
/// requests the edge answered, promtool accepts the exposition, and off loopback a viewer token is needed.</summary>
[Collection("platform-2")]
public sealed class PrometheusScrapeTests
{
    [Fact]
    public async Task A_real_Prometheus_scrapes_the_platform_and_promtool_accepts_what_it_serves()
    {
        var prometheus = Binary("prometheus");
        var promtool = Binary("promtool");
        var (started, apiPort) = await TestPlatform.StartWithApiPortAsync();
        await using var platform = started;
        (await platform.DeployAsync(EnvApp.Create(), "shop")).ExitCode.Should().Be(0);
        for (var i = 0; i < 5; i++)
        {
            (await platform.GetAsync("shop", "/")).StatusCode.Should().Be(HttpStatusCode.OK);
        }
        (await platform.GetAsync("shop", "/env/NO_SUCH_VARIABLE")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        // A scraper is another process (this test process is the platform, whose own connections are refused).
        var curl = await RunAsync(Binary("curl"), ["-sS", "--fail", $"http://127.0.0.1:{apiPort}/metrics"], stdin: "");
        curl.Code.Should().Be(0, curl.Output);
        var text = curl.Output;
        (await http.GetAsync($"http://127.0.0.1:{apiPort}/metrics")).StatusCode.Should().Be(HttpStatusCode.Unauthorized,
            "a connection the platform's own process opened is not a scraper's");
        text.Should().Contain("slipway_http_server_requests_total{app=\"shop\",env=\"production\",route=\"/\",service=\"web\",status_class=\"2xx\"} 5");
        text.Should().Contain("slipway_http_server_requests_total{app=\"shop\",env=\"production\",route=\"/\",service=\"web\",status_class=\"4xx\"} 1");
        text.Should().Contain("slipway_http_server_request_duration_seconds_bucket{app=\"shop\",env=\"production\",route=\"/\",service=\"web\",le=\"+Inf\"} 6");
        text.Should().Contain("slipway_deploys_total{app=\"shop\",env=\"production\",kind=\"deploy\",result=\"live\"} 1");
        text.Should().MatchRegex("slipway_instance_healthy\\{app=\"shop\",deployment=\"d-[a-z0-9]+\",env=\"production\",replica=\"1\",service=\"web\"\\} 1");
        text.Should().Contain("slipway_disk_free_bytes{");
        if (platform.Services.GetRequiredService<Slipway.Sandbox.HostSupport>().CanLimit)
        {
            // Per-replica usage comes from its cgroup, where the machine has them.
            text.Should().MatchRegex("slipway_instance_memory_usage_bytes\\{app=\"shop\",deployment=\"d-[a-z0-9]+\",env=\"production\",replica=\"1\",service=\"web\"\\} [1-9]");
            text.Should().MatchRegex("slipway_instance_cpu_time_seconds_total\\{app=\"shop\",deployment=\"d-[a-z0-9]+\",env=\"production\",replica=\"1\",service=\"web\"\\} ");
        }
        text.Should().Contain("dotnet_gc_heap_total_allocated_bytes_total");
        text.Should().NotContain("NO_SUCH_VARIABLE", "routes are patterns, never raw paths");

        var check = await RunAsync(promtool, ["check", "metrics"], stdin: text);
        check.Code.Should().Be(0, $"promtool check metrics: {check.Output}");

        // The per-minute history behind `slipway metrics --since` (the roll-up runs each minute; here, now).
        platform.Services.GetRequiredService<MetricsHistory>().RollUp();
        var history = await platform.CliAsync("metrics", "--app", "shop", "--since", "1h");
        history.ExitCode.Should().Be(0, history.ToString());
        history.Out.Should().Contain("REQUESTS OVER TIME").And.MatchRegex(@"web\s+/\s+6\s+5\s+1\s+0\s");
        (await platform.CliAsync("metrics", "--app", "shop", "--since", "forever")).Err.Should().Contain("is not a duration up to 30d");

        // An app cannot borrow the platform's own loopback connection: a rewrite to the API port's /metrics is refused.
        var sneaky = EnvApp.Create();
        TestApps.EditManifest(sneaky, json => json["routes"] = System.Text.Json.Nodes.JsonNode.Parse(
            $$"""{ "rewrites": [ { "source": "/m", "destination": "http://127.0.0.1:{{apiPort}}/metrics" } ] }"""));
        (await platform.DeployAsync(sneaky, "sneaky")).ExitCode.Should().Be(0);
        var borrowed = await platform.GetAsync("sneaky", "/m");
        borrowed.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "the edge's own socket is the platform's, not a scraper's");

        // Off loopback (here: through the edge under the platform host) /metrics needs a viewer.
        using var viaEdge = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{platform.EdgePort}/metrics");
        viaEdge.Headers.Host = "slipway.localhost";
        (await http.SendAsync(viaEdge)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        var made = await platform.CliAsync("tokens", "create", "--name", "scraper", "--role", "viewer");
        made.ExitCode.Should().Be(0, made.ToString());
        using var withToken = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{platform.EdgePort}/metrics");
        withToken.Headers.Host = "slipway.localhost";
        withToken.Headers.Authorization = new AuthenticationHeaderValue("Bearer", made.Out.Trim());
        var scraped = await http.SendAsync(withToken);
        scraped.StatusCode.Should().Be(HttpStatusCode.OK);
        (await scraped.Content.ReadAsStringAsync()).Should().Contain("slipway_http_server_requests_total");

        // A real Prometheus on loopback, scraping every second.
        var dir = TempDirs.Create("prometheus");
        var webPort = Ports.Free();
        await File.WriteAllTextAsync(Path.Combine(dir, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: slipway
                static_configs:
                  - targets: ["127.0.0.1:{apiPort}"]
            """);
        using var server = Process.Start(new ProcessStartInfo(prometheus,
            [$"--config.file={Path.Combine(dir, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(dir, "data")}",
             $"--web.listen-address=127.0.0.1:{webPort}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            var query = Uri.EscapeDataString("sum(slipway_http_server_requests_total{job=\"slipway\",app=\"shop\",status_class=\"2xx\"})");
            string? value = null;
            var deadline = Stopwatch.StartNew();
            // At least the five answers the test asked for: the app's default uptime check may add its own meanwhile.
            static bool Scraped(string? v) => int.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= 5;
            while (!Scraped(value) && deadline.Elapsed < TimeSpan.FromSeconds(40))
            {
                await Task.Delay(500);
                try
                {
                    using var answer = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{webPort}/api/v1/query?query={query}"));
                    var result = answer.RootElement.GetProperty("data").GetProperty("result");
                    value = result.GetArrayLength() == 1 ? result[0].GetProperty("value")[1].GetString() : null;
                }
                catch (HttpRequestException)
                {
                    // Prometheus is still starting.
                }
            }
            Scraped(value).Should().BeTrue($"Prometheus scraped the platform and stored the edge's count of shop's 2xx answers (at least 5), got {value ?? "nothing"}");
            using var targets = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{webPort}/api/v1/targets"));
            targets.RootElement.GetProperty("data").GetProperty("activeTargets")[0].GetProperty("health").GetString().Should().Be("up");
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    [Fact]
    public void The_loopback_scraper_is_the_one_established_connection_with_both_ends_matching()
    {
        string[] table =
        [
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
            "   0: 0100007F:4E21 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0",
            "   1: 0100007F:C350 0100007F:4E21 01 00000000:00000000 00:00000000 00000000 700000003        0 1002 1 0 20 4 30 10 -1",
            "   2: 0100007F:C351 0100007F:4E21 01 00000000:00000000 00:00000000 00000000   998        0 1003 1 0 20 4 30 10 -1",
            // A closed connection's leftover (TIME_WAIT, uid 0) with the same ports as an app's live one from 127.0.0.2.
            "   3: 0100007F:C352 0100007F:4E21 06 00000000:00000000 03:00001000 00000000     0        0 0 3 0000000000000000",
            "   4: 0200007F:C352 0100007F:4E21 01 00000000:00000000 00:00000000 00000000 700000004        0 1004 1 0 20 4 30 10 -1",
        ];
        var loopback = LoopbackScraper.Hex(IPAddress.Loopback);
        loopback.Should().Be("0100007F");
        LoopbackScraper.Find(table, loopback, 0xC350, loopback, 0x4E21).Should().Be((700000003, 1002L), "an app's user");
        LoopbackScraper.Find(table, loopback, 0xC351, loopback, 0x4E21).Should().Be((998, 1003L), "prometheus's own user");
        LoopbackScraper.Find(table, loopback, 0xC352, loopback, 0x4E21).Should().BeNull("only a TIME_WAIT row matches 127.0.0.1: no live connection");
        LoopbackScraper.Find(table, LoopbackScraper.Hex(IPAddress.Parse("127.0.0.2")), 0xC352, loopback, 0x4E21).Should().Be((700000004, 1004L));
        LoopbackScraper.Find([.. table, table[3]], loopback, 0xC351, loopback, 0x4E21).Should().BeNull("two rows for one connection: refuse");
        LoopbackScraper.Hex(IPAddress.IPv6Loopback).Should().Be("00000000000000000000000001000000");
    }

    private static string Binary(string name)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
        path.Should().NotBeNull($"{name} is needed (Debian package prometheus; ./test.sh installs it)");
        return path!;
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string[] args, string stdin)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }
}
