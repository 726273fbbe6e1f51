using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Jobs;
using Slipway.Tests.Support;

namespace Slipway.Tests.Jobs;

/// <summary>What the job tests do to a running platform: tick the scheduler after moving the jobs clock, wait
/// for runs and messages to reach a state (polling, bounded), talk to the app through the edge.</summary>
internal static class JobsHarness
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);

    public static Task TickAsync(this TestPlatform platform) => platform.Services.GetRequiredService<CronScheduler>().TickAsync();

    public static JobStore Jobs(this TestPlatform platform) => platform.Services.GetRequiredService<JobStore>();

    /// <summary>The job's runs (newest first) once <paramref name="done"/> holds for them.</summary>
    public static async Task<IReadOnlyList<CronRunRecord>> RunsAsync(this TestPlatform platform, string app, string job,
        Func<IReadOnlyList<CronRunRecord>, bool> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var runs = platform.Jobs().ListRuns(app, job, 1000);
            if (done(runs))
            {
                return runs;
            }
            DateTime.UtcNow.Should().BeBefore(deadline, $"runs of {job} never got there; they are: {JsonSerializer.Serialize(runs)}");
            await Task.Delay(100);
        }
    }

    public static async Task<MessageRecord> MessageAsync(this TestPlatform platform, string id, Func<MessageRecord, bool> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var message = platform.Jobs().FindMessage(id)!;
            if (done(message))
            {
                return message;
            }
            DateTime.UtcNow.Should().BeBefore(deadline, $"message {id} never got there: {JsonSerializer.Serialize(message)}");
            await Task.Delay(100);
        }
    }

    /// <summary>Moves the jobs clock a second at a time until the message reaches the state (each backoff passes).</summary>
    public static async Task<MessageRecord> AdvancingUntilAsync(this TestPlatform platform, ManualClock clock, string id, Func<MessageRecord, bool> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var message = platform.Jobs().FindMessage(id)!;
            if (done(message))
            {
                return message;
            }
            DateTime.UtcNow.Should().BeBefore(deadline, $"message {id} never got there: {JsonSerializer.Serialize(message)}");
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(200);
        }
    }

    public static async Task<JsonElement> GetJsonAsync(this TestPlatform platform, string app, string path)
    {
        using var response = await platform.GetAsync(app, path);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>The app publishes a message (POST /publish forwards it to $SLIPWAY_MESSAGES_URL with its token).</summary>
    public static async Task<(int Status, JsonElement Body)> PublishAsync(this TestPlatform platform, string app, object message)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{platform.EdgePort}/publish")
        {
            Content = JsonContent.Create(message),
        };
        request.Headers.Host = $"{app}.localhost";
        using var response = await platform.Http.SendAsync(request);
        return ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    public static CronRunRecord Newest(this IReadOnlyList<CronRunRecord> runs) => runs[0];
}
