using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Access;
using Slipway.Api;
using Slipway.Config;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests;

/// <summary>The audit line of a long operation says how it ended, not the 200 its stream began with: through the real
/// access middleware and audit log (SQLite), over real HTTP, an operation that fails after its first keep-alive is
/// "failed", one whose caller goes away is "failed" with the reason, and one that finishes is "ok".</summary>
public sealed class AuditOutcomeTests : IAsyncLifetime
{
    private const string Token = "audit-outcome-test-token";
    private WebApplication _app = null!;
    private HttpClient _client = null!;
    private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task InitializeAsync()
    {
        var data = TempDirs.Create("audit-outcome");
        var store = new Store(Path.Combine(data, "slipway.db"), TimeProvider.System);
        var options = new AccessOptions();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(store)
            .AddSingleton(TimeProvider.System)
            .AddSingleton(options)
            .AddSingleton(new Keyring(data))
            .AddSingleton<AccessStore>()
            .AddSingleton<LoginThrottle>()
            .AddSingleton<AccessService>()
            .AddSingleton<AuditLog>()
            .AddSingleton(new ApiOptions { StreamKeepAlive = TimeSpan.FromMilliseconds(200) });
        _app = builder.Build();
        _app.UseSlipwayErrors();
        _app.UseAccessControl(Token);
        Func<HttpContext, Task<IResult>> done = context => ProgressStream.RunAsync(context, async progress =>
        {
            await Task.Delay(600, context.RequestAborted);
            await progress.StepAsync("dump written");
            return "done";
        });
        Func<HttpContext, Task<IResult>> failsLate = context => ProgressStream.RunAsync<string>(context, async _ =>
        {
            await Task.Delay(600, context.RequestAborted);
            throw new UserException("the dump failed: disk full");
        });
        Func<HttpContext, Task<IResult>> waits = context => ProgressStream.RunAsync<string>(context, async progress =>
        {
            await progress.StepAsync("started");
            try
            {
                await Task.Delay(TimeSpan.FromMinutes(1), context.RequestAborted);
            }
            finally
            {
                _cancelled.TrySetResult();
            }
            return "never";
        });
        _app.MapPost("/done", done).RequireAccess(Permission.Deploy, "test.done");
        _app.MapPost("/fails-late", failsLate).RequireAccess(Permission.Deploy, "test.fails-late");
        _app.MapPost("/waits", waits).RequireAccess(Permission.Deploy, "test.waits");
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(_app.Urls.First()) };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task A_late_failure_and_a_caller_gone_are_audited_as_failed_and_a_finished_operation_as_ok()
    {
        using (var response = await _client.PostAsync("/done?progress=1", null))
        {
            (await response.Content.ReadAsStringAsync()).Should().Contain("""{"result":"done"}""");
        }
        using (var response = await _client.PostAsync("/fails-late?progress=1", null))
        {
            response.StatusCode.Should().Be(HttpStatusCode.OK, "the answer had started with keep-alives");
            (await response.Content.ReadAsStringAsync()).Should().Contain("""{"error":"the dump failed: disk full"}""");
        }
        using (var gone = new CancellationTokenSource())
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/waits?progress=1");
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, gone.Token);
            var stream = await response.Content.ReadAsStreamAsync(gone.Token);
            (await new StreamReader(stream).ReadLineAsync(gone.Token)).Should().Be("""{"step":"started"}""");
            await gone.CancelAsync();
            response.Dispose();
        }
        await _cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var audit = _app.Services.GetRequiredService<AuditLog>();
        IReadOnlyList<AuditEntry> lines = [];
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((lines = audit.List(null, null, 10)).Count < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50); // the cancelled request's line is written as its pipeline unwinds
        }
        lines.Select(l => (l.Action, l.Outcome)).Should().BeEquivalentTo(
            [("test.done", AuditLog.Allowed), ("test.fails-late", AuditLog.Failed), ("test.waits", AuditLog.Failed)]);
        lines.Single(l => l.Action == "test.waits").Detail.Should().Contain("cancelled: the caller went away");
    }
}
