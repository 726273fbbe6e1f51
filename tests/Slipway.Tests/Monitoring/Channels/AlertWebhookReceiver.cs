using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Slipway.Jobs;
using Slipway.Tests.Edge;

namespace Slipway.Tests.Monitoring.Channels;

/// <summary>A real HTTP receiver of alert notices on 127.0.0.1 (Kestrel). It answers what <see cref="Answer"/> says for
/// each request (numbered from 1); a request it answers 2xx is received: its body (JSON) is kept, and when
/// <see cref="SigningSecret"/> is set its Slipway-Signature is checked with <see cref="MessageSigner.Verify"/> (a bad
/// or missing one is answered 401 and counted in <see cref="BadSignatures"/>).</summary>
internal sealed class AlertWebhookReceiver : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<JsonElement> _bodies = [];
    private LoopbackServer _server = null!;
    private int _requests;
    private int _badSignatures;

    public Func<int, int> Answer { get; set; } = _ => 200;

    /// <summary>Headers a non-2xx answer carries (Retry-After...).</summary>
    public Dictionary<string, string> AnswerHeaders { get; } = [];

    public string? SigningSecret { get; set; }
    public int Requests => Volatile.Read(ref _requests);
    public int BadSignatures => Volatile.Read(ref _badSignatures);
    public int Port => _server.Port;
    public string Url => $"http://127.0.0.1:{_server.Port}/hooks/T0001/B0001/tok-abcdef123456";
    public string? LastSignature { get; private set; }
    public string? ContentType { get; private set; }

    public IReadOnlyList<JsonElement> Bodies
    {
        get
        {
            lock (_gate)
            {
                return [.. _bodies];
            }
        }
    }

    public static async Task<AlertWebhookReceiver> StartAsync()
    {
        var receiver = new AlertWebhookReceiver();
        receiver._server = await LoopbackServer.StartAsync(receiver.HandleAsync);
        return receiver;
    }

    /// <summary>Waits until <paramref name="count"/> bodies were received (or the time is over: the caller's assertions
    /// say what was missing).</summary>
    public async Task<IReadOnlyList<JsonElement>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (Bodies.Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        return Bodies;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var number = Interlocked.Increment(ref _requests);
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        ContentType = context.Request.ContentType;
        LastSignature = context.Request.Headers[MessageSigner.Header];
        var status = Answer(number);
        if (status is >= 200 and < 300 && SigningSecret is { } secret &&
            !MessageSigner.Verify(secret, LastSignature ?? "", body.ToArray(), DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)))
        {
            Interlocked.Increment(ref _badSignatures);
            status = 401;
        }
        if (status is >= 200 and < 300)
        {
            lock (_gate)
            {
                _bodies.Add(JsonDocument.Parse(Encoding.UTF8.GetString(body.ToArray())).RootElement.Clone());
            }
        }
        else
        {
            foreach (var (name, value) in AnswerHeaders)
            {
                context.Response.Headers[name] = value;
            }
        }
        context.Response.StatusCode = status;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
