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

/// <summary>A long database operation asked for with ?progress=1 (the dashboard's backups, restores, branches and
/// destroys) keeps its answer alive while it is quiet, so the edge's idle cut (which would cancel it) never comes: over
/// real HTTP, a quiet operation's answer starts with empty lines long before its outcome, and a user error after them
/// is an {"error"} line; one that fails before anything went out is still a plain 4xx. Through the real access
/// middleware and audit log (SQLite), the audit line says how the operation ended, not the 200 its stream began with.</summary>
public sealed class ProgressStreamTests : IAsyncLifetime
{
    private const string Token = "progress-stream-test-token";
    private WebApplication _app = null!;
    private HttpClient _client = null!;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _asked = new();
    private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task InitializeAsync()
    {
        var data = TempDirs.Create("progress-stream");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(new Store(Path.Combine(data, "slipway.db"), TimeProvider.System))
            .AddSingleton(TimeProvider.System)
            .AddSingleton(new AccessOptions())
            .AddSingleton(new Keyring(data))
            .AddSingleton<AccessStore>()
            .AddSingleton<LoginThrottle>()
            .AddSingleton<AccessService>()
            .AddSingleton<AuditLog>()
            .AddSingleton(new ApiOptions { StreamKeepAlive = TimeSpan.FromMilliseconds(200) });
        _app = builder.Build();
        _app.UseSlipwayErrors();
        _app.Use((context, next) =>
        {
            _asked.Enqueue(context.Request.Path + context.Request.QueryString);
            return next(context);
        });
        _app.UseAccessControl(Token);
        // Typed as Func so the route handler writes the IResult (a RequestDelegate would drop it).
        Func<HttpContext, Task<IResult>> quiet = context => ProgressStream.RunAsync(context, async progress =>
        {
            await Task.Delay(1500, context.RequestAborted);
            await progress.StepAsync("dump written");
            return "done";
        });
        Func<HttpContext, Task<IResult>> failsLate = context => ProgressStream.RunAsync<string>(context, async _ =>
        {
            await Task.Delay(1000, context.RequestAborted);
            throw new UserException("the dump failed: disk full");
        });
        Func<HttpContext, Task<IResult>> failsAtOnce = context => ProgressStream.RunAsync<string>(context, _ =>
            throw new UserException("no such database", 404));
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
        _app.MapPost("/quiet", quiet).RequireAccess(Permission.Deploy, "test.quiet");
        _app.MapPost("/fails-late", failsLate).RequireAccess(Permission.Deploy, "test.fails-late");
        _app.MapPost("/fails-at-once", failsAtOnce).RequireAccess(Permission.Deploy, "test.fails-at-once");
        _app.MapPost("/waits", waits).RequireAccess(Permission.Deploy, "test.waits");
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(_app.Urls.First()) };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    /// <summary>The audit's outcome of the newest line of <paramref name="action"/>.</summary>
    private string Audited(string action) =>
        _app.Services.GetRequiredService<AuditLog>().List(null, null, 50).First(l => l.Action == action).Outcome;

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task A_quiet_operation_sends_keep_alives_before_its_steps_and_outcome()
    {
        using var response = await _client.PostAsync("/quiet?progress=1", null);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be(ProgressStream.ContentType);
        var lines = body.Split('\n');
        lines.TakeWhile(l => l.Length == 0).Count().Should().BeGreaterThanOrEqualTo(3, "1.5 s of quiet at 200 ms: " + body);
        lines.Where(l => l.Length > 0).Should().Equal("""{"step":"dump written"}""", """{"result":"done"}""");
        Audited("test.quiet").Should().Be(AuditLog.Allowed);
    }

    [Fact]
    public async Task A_user_error_after_a_keep_alive_is_an_error_line_and_before_anything_a_problem()
    {
        using (var late = await _client.PostAsync("/fails-late?progress=1", null))
        {
            late.StatusCode.Should().Be(HttpStatusCode.OK, "the answer had started");
            (await late.Content.ReadAsStringAsync()).Split('\n').Where(l => l.Length > 0)
                .Should().Equal("""{"error":"the dump failed: disk full"}""");
        }
        Audited("test.fails-late").Should().Be(AuditLog.Failed, "the audit line says failed, not the 200 the stream began with");
        using var early = await _client.PostAsync("/fails-at-once?progress=1", null);
        early.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await early.Content.ReadAsStringAsync()).Should().Contain("no such database");
    }

    [Fact]
    public async Task Without_progress_the_answer_is_the_outcome_alone()
    {
        using var response = await _client.PostAsync("/quiet", null);
        (await response.Content.ReadAsStringAsync()).Should().Be("\"done\"");
    }

    [Fact]
    public async Task The_CLI_asks_for_the_stream_with_json_too_and_prints_only_the_outcome_or_the_error()
    {
        using var api = Slipway.Cli.ApiClient.Remote(new Uri(_app.Urls.First()), Token, null, null);
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var cli = new Slipway.Cli.CliContext(output, errors);

        (await Slipway.Cli.DbOperation.RunAsync<string>(cli, api, "quiet", null, json: true, CancellationToken.None)).Should().Be("done");
        _asked.Should().Contain("/quiet?progress=1", "a quiet step of a remote --json call is kept alive through the edge only by the stream");
        output.ToString().Should().BeEmpty("--json prints the outcome alone, not the steps");

        var failure = await FluentActions.Awaiting(() => Slipway.Cli.DbOperation.RunAsync<string>(cli, api, "fails-late", null, json: true, CancellationToken.None))
            .Should().ThrowAsync<UserException>();
        failure.Which.Message.Should().Be("the dump failed: disk full");

        (await Slipway.Cli.DbOperation.RunAsync<string>(cli, api, "quiet", null, json: false, CancellationToken.None)).Should().Be("done");
        output.ToString().Should().Contain("dump written", "without --json the steps are printed as they come");
    }

    [Fact]
    public async Task A_caller_gone_cancels_the_operation_and_its_audit_line_says_failed_with_the_reason()
    {
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
        AuditEntry? line = null;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((line = audit.List(null, null, 50).FirstOrDefault(l => l.Action == "test.waits")) is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50); // the line is written as the cancelled request's pipeline unwinds
        }
        line.Should().NotBeNull();
        line!.Outcome.Should().Be(AuditLog.Failed);
        line.Detail.Should().Contain("cancelled: the caller went away");
    }
}
