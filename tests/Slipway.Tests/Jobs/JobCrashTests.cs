using System.Diagnostics;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Jobs;

/// <summary>SIGKILL of the platform itself (its own OS process) in the middle of a cron run and with a message
/// pending: state stays consistent and recoverable.</summary>
[Collection("platform-2")]
public sealed class JobCrashTests
{
    [Fact]
    public async Task After_SIGKILL_a_running_job_is_recorded_interrupted_its_process_is_gone_and_a_pending_message_still_goes_out()
    {
        var dataDir = TempDirs.Create("jobcrash");
        var port = Ports.Free();
        try
        {
            var platform = await PlatformProcess.StartAsync(dataDir, port);
            var cli = new CliRunner(dataDir);
            var app = JobsApp.Create([JobsApp.Command("long", "0 3 * * *", "echo started; sleep 67.5")]);
            (await cli.RunAsync("deploy", app, "--app", "crashy")).ExitCode.Should().Be(0);
            var started = await cli.RunAsync("cron", "run", "long", "--app", "crashy", "--no-wait", "--json");
            var runId = JsonDocument.Parse(started.Out).RootElement.GetProperty("id").GetString();
            await WaitForAsync(() => ProcessTable.AnyRunning("sleep 67.5"));
            var published = await PublishAsync(port, "crashy", "{\"path\":\"/receive/after-crash\",\"body\":\"kept\",\"delay\":\"8s\"}");
            published.Should().Contain("\"pending\"");

            platform.KillHard();
            await using var again = await PlatformProcess.StartAsync(dataDir, port);

            var runs = JsonDocument.Parse((await cli.RunAsync("cron", "runs", "long", "--app", "crashy", "--json")).Out).RootElement;
            runs[0].GetProperty("id").GetString().Should().Be(runId);
            runs[0].GetProperty("status").GetString().Should().Be("interrupted");
            (await ProcessTable.GoneAsync("sleep 67.5")).Should().BeTrue("the killed platform's job process is cleaned up at start");

            var deadline = Stopwatch.StartNew();
            string received;
            do
            {
                await Task.Delay(200);
                received = await GetAsync(port, "crashy", "/received");
            }
            while (!received.Contains("after-crash", StringComparison.Ordinal) && deadline.Elapsed < TimeSpan.FromSeconds(40));
            received.Should().Contain("\"body\":\"kept\"").And.Contain("\"signed\":true");
            var ls = JsonDocument.Parse((await cli.RunAsync("messages", "ls", "--app", "crashy", "--json")).Out).RootElement;
            ls[0].GetProperty("status").GetString().Should().Be("delivered");
        }
        finally
        {
            TempDirs.Delete(dataDir);
        }
    }

    private static async Task<string> PublishAsync(int port, string app, string json)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/publish")
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Host = $"{app}.localhost";
        using var response = await http.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<string> GetAsync(int port, string app, string path)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{path}");
        request.Headers.Host = $"{app}.localhost";
        try
        {
            using var response = await http.SendAsync(request);
            return await response.Content.ReadAsStringAsync();
        }
        catch (HttpRequestException)
        {
            return "";
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30));
            await Task.Delay(100);
        }
    }
}
