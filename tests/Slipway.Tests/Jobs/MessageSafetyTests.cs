using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Jobs;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Jobs;

/// <summary>Messages must reach only the app's own services (or allowed hosts), and one app's stuck messages
/// must not hold back another app's.</summary>
[Collection("platform")]
public sealed class MessageSafetyTests
{
    [Fact]
    public async Task A_path_message_cannot_reach_another_host_through_a_protocol_relative_path()
    {
        using var inside = new InternalService();
        var clock = new ManualClock();
        await using var platform = await TestPlatform.StartAsync(jobsClock: clock);
        (await platform.DeployAsync(JobsApp.Create([]), "sneaky")).ExitCode.Should().Be(0);

        var (status, body) = await platform.PublishAsync("sneaky", new { path = $"//127.0.0.1:{inside.Port}/admin", body = "x", retries = 0 });
        status.Should().Be(400, "a path is on the app's own service, not another host: " + body);
        body.GetProperty("detail").GetString().Should().Contain("path:");

        // A row that got in anyway (stored before this check) still goes nowhere but the app.
        var id = Ids.New("m");
        platform.Jobs().InsertMessage(new MessageRecord(id, "sneaky", null, $"//127.0.0.1:{inside.Port}/admin", null, "POST", "{}",
            Encoding.UTF8.GetBytes("x"), JobTime.Format(clock.GetUtcNow()), 0, 100, 0, MessageStatus.Pending, null, null,
            JobTime.Format(clock.GetUtcNow()), null));
        var done = await platform.MessageAsync(id, m => m.Status != MessageStatus.Pending);
        done.Status.Should().Be(MessageStatus.Dead);
        inside.Connections.Should().Be(0, "the platform must not call an internal service the app named");
    }

    [Fact]
    public async Task A_host_taken_out_of_the_allowed_hosts_gets_no_more_messages()
    {
        using var outside = new InternalService();
        var clock = new ManualClock();
        await using var platform = await TestPlatform.StartAsync(jobsClock: clock);
        (await platform.DeployAsync(JobsApp.Create([]), "revoker")).ExitCode.Should().Be(0);
        (await platform.CliAsync("env", "set", "--app", "revoker", "MESSAGES_ALLOWED_HOSTS=127.0.0.1")).ExitCode.Should().Be(0);
        var (status, body) = await platform.PublishAsync("revoker", new { url = $"http://127.0.0.1:{outside.Port}/hook", body = "x", delay = "1m", retries = 0 });
        status.Should().Be(202, body.ToString());
        var id = body.GetProperty("id").GetString()!;

        (await platform.CliAsync("env", "unset", "--app", "revoker", "MESSAGES_ALLOWED_HOSTS")).ExitCode.Should().Be(0);
        clock.Advance(TimeSpan.FromMinutes(2));

        var message = await platform.MessageAsync(id, m => m.Status != MessageStatus.Pending);
        message.Status.Should().Be(MessageStatus.Dead);
        message.LastError.Should().Contain("MESSAGES_ALLOWED_HOSTS");
        outside.Connections.Should().Be(0, "the operator took the host out of the list before the message was due");
    }

    [Fact]
    public async Task Messages_of_a_stopped_app_do_not_hold_back_another_apps_messages()
    {
        var clock = new ManualClock();
        await using var platform = await TestPlatform.StartAsync(jobsClock: clock);
        (await platform.DeployAsync(JobsApp.Create([]), "asleep")).ExitCode.Should().Be(0);
        (await platform.DeployAsync(JobsApp.Create([]), "awake")).ExitCode.Should().Be(0);
        for (var i = 0; i < 40; i++)
        {
            var (published, reply) = await platform.PublishAsync("asleep", new { path = "/receive/later", body = $"{i}", delay = "1m" });
            published.Should().Be(202, reply.ToString());
        }
        (await platform.CliAsync("stop", "--app", "asleep")).ExitCode.Should().Be(0);
        var (_, body) = await platform.PublishAsync("awake", new { path = "/receive/now", body = "go", delay = "2m" });
        var id = body.GetProperty("id").GetString()!;

        clock.Advance(TimeSpan.FromMinutes(3));

        var message = await platform.MessageAsync(id, m => m.Status != MessageStatus.Pending);
        message.Status.Should().Be(MessageStatus.Delivered, message.LastError);
        platform.Jobs().ListMessages("asleep", MessageStatus.Pending, 100).Should().HaveCount(40, "they wait for their app, using no attempt");
    }

    [Fact]
    public async Task Guessed_tokens_never_make_an_apps_own_publish_fail()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(JobsApp.Create([]), "honest")).ExitCode.Should().Be(0);
        var server = platform.Services.GetRequiredService<MessagesServer>();
        using var guessing = new CancellationTokenSource();
        var refused = 0;
        var guessers = Enumerable.Range(0, 6).Select(n => Task.Run(async () =>
        {
            using var http = new HttpClient();
            for (var i = 0; !guessing.IsCancellationRequested; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, server.BaseUrl + "/v1/messages")
                {
                    Content = new StringContent("{\"path\":\"/x\"}", Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", $"slpm_guess{n}_{i}");
                using var response = await http.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        })).ToList();

        var statuses = new List<int>();
        for (var i = 0; i < 60; i++)
        {
            var (status, _) = await platform.PublishAsync("honest", new { path = "/receive/x", body = $"{i}", delay = "1h" });
            statuses.Add(status);
        }
        await guessing.CancelAsync();
        await Task.WhenAll(guessers);

        Volatile.Read(ref refused).Should().BeGreaterThan(0, "the guesses were made and refused");
        statuses.Should().OnlyContain(s => s == 202, "a valid token is accepted whatever else is being tried");
    }

    [Fact]
    public async Task Dead_messages_are_kept_for_a_month_then_pruned()
    {
        var clock = new ManualClock();
        await using var platform = await TestPlatform.StartAsync(jobsClock: clock);
        (await platform.DeployAsync(JobsApp.Create([]), "grave")).ExitCode.Should().Be(0);
        var (_, body) = await platform.PublishAsync("grave", new { path = "/receive/always-500", body = "x", retries = 0 });
        var id = body.GetProperty("id").GetString()!;
        (await platform.MessageAsync(id, m => m.Status != MessageStatus.Pending)).Status.Should().Be(MessageStatus.Dead);

        clock.Advance(JobStore.KeptDead - TimeSpan.FromDays(1));
        await Task.Delay(1000); // several delivery polls, each free to prune
        platform.Jobs().FindMessage(id).Should().NotBeNull("a dead message is kept for a month to be resent");

        clock.Advance(TimeSpan.FromDays(2));
        var deadline = DateTime.UtcNow + JobsHarness.Patience;
        while (platform.Jobs().FindMessage(id) is not null)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "dead messages must not pile up forever");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Message_headers_and_bodies_are_sealed_at_rest_and_survive_a_key_rotation()
    {
        var clock = new ManualClock();
        await using var platform = await TestPlatform.StartAsync(jobsClock: clock);
        (await platform.DeployAsync(JobsApp.Create([]), "sealed")).ExitCode.Should().Be(0);
        var (status, body) = await platform.PublishAsync("sealed", new
        {
            path = "/receive/card", body = "token=body-secret-4711", delay = "1m",
            headers = new Dictionary<string, string> { ["X-Api-Key"] = "header-secret-0815" },
        });
        status.Should().Be(202, body.ToString());
        var id = body.GetProperty("id").GetString()!;

        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(platform.DataDir, "slipway.db")};Mode=ReadOnly"))
        {
            db.Open();
            using var read = db.CreateCommand();
            read.CommandText = "select headers_json || ' ' || cast(body as text) from messages where id = $id";
            read.Parameters.AddWithValue("$id", id);
            var stored = (string)read.ExecuteScalar()!;
            stored.Should().NotContain("header-secret-0815").And.NotContain("body-secret-4711").And.NotContain(
                Convert.ToBase64String(Encoding.UTF8.GetBytes("token=body-secret-4711")), "the app's data is encrypted at rest");
        }
        (await platform.CliAsync("keys", "rotate")).ExitCode.Should().Be(0);
        clock.Advance(TimeSpan.FromMinutes(2));

        var message = await platform.MessageAsync(id, m => m.Status != MessageStatus.Pending);
        message.Status.Should().Be(MessageStatus.Delivered, message.LastError);
        var received = (await platform.GetJsonAsync("sealed", "/received")).EnumerateArray().Should().ContainSingle().Subject;
        received.GetProperty("body").GetString().Should().Be("token=body-secret-4711", "opened under the rotated key");
        received.GetProperty("signed").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task An_app_cannot_queue_messages_without_bound()
    {
        var clock = new ManualClock();
        await using var platform = await TestPlatform.StartAsync(jobsClock: clock);
        (await platform.DeployAsync(JobsApp.Create([]), "flood")).ExitCode.Should().Be(0);
        var (first, _) = await platform.PublishAsync("flood", new { path = "/receive/x", body = "1", delay = "1h" });
        first.Should().Be(202);
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(platform.DataDir, "slipway.db")}"))
        {
            db.Open();
            using var fill = db.CreateCommand();
            fill.CommandText = """
                with recursive n(i) as (select 2 union all select i + 1 from n where i < $count)
                insert into messages(id, app, path, method, headers_json, not_before, retries, backoff_ms, attempts, status, created_at)
                select 'm-fill' || i, 'flood', '/receive/x', 'POST', '{}', $at, 3, 10000, 0, 'pending', $at from n
                """;
            fill.Parameters.AddWithValue("$count", JobStore.MaxPendingPerApp);
            fill.Parameters.AddWithValue("$at", JobTime.Format(clock.GetUtcNow().AddHours(1)));
            fill.ExecuteNonQuery();
        }

        var (status, body) = await platform.PublishAsync("flood", new { path = "/receive/x", body = "one too many", delay = "1h" });

        status.Should().Be(429, body.ToString());
        body.GetProperty("detail").GetString().Should().Contain($"{JobStore.MaxPendingPerApp} messages are pending").And.Contain("slipway messages ls");
        platform.Jobs().PendingCount("flood").Should().Be(JobStore.MaxPendingPerApp, "the refused message was not stored");
    }

    /// <summary>Stands for something on the platform's network an app must not reach through the platform:
    /// answers 200 to anything and counts connections.</summary>
    private sealed class InternalService : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private int _connections;

        public InternalService()
        {
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (true)
                {
                    TcpClient client;
                    try
                    {
                        client = await _listener.AcceptTcpClientAsync();
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException)
                    {
                        return;
                    }
                    Interlocked.Increment(ref _connections);
                    using (client)
                    {
                        var stream = client.GetStream();
                        _ = await stream.ReadAsync(new byte[4096]);
                        await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
                    }
                }
            });
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public int Connections => Volatile.Read(ref _connections);

        public void Dispose() => _listener.Stop();
    }
}
