using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Slipway.Tests.Edge;

/// <summary>What the test backend saw of a request.</summary>
internal sealed record Seen(string Method, string Target, Dictionary<string, string> Headers, int BodyLength);

/// <summary>A real Kestrel app behind the edge in tests: echoes what it received as JSON, and has paths for
/// slow answers, large compressible bodies, server-sent events and a WebSocket echo (spoken without ASP.NET's
/// WebSocket middleware, straight on the upgraded connection, as any app server would).</summary>
internal static class Backend
{
    public static Task<LoopbackServer> StartAsync() => LoopbackServer.StartAsync(HandleAsync);

    public static Seen Parse(string json) => JsonSerializer.Deserialize<Seen>(json)!;

    private static async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        switch (path)
        {
            case "/slow":
                await Task.Delay(TimeSpan.FromSeconds(3), context.RequestAborted);
                await context.Response.WriteAsync("slow");
                return;
            case "/big":
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync(string.Concat(Enumerable.Repeat("all work and no play makes jack a dull boy\n", 500)));
                return;
            case "/stall":
                // Headers and a first part, then nothing for a long while (a hung app mid-response).
                context.Response.ContentLength = 1000;
                await context.Response.WriteAsync("first part ");
                await context.Response.Body.FlushAsync();
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
                return;
            case "/sse":
                context.Response.ContentType = "text/event-stream";
                for (var i = 0; i < 3; i++)
                {
                    await context.Response.WriteAsync($"data: tick {i}\n\n");
                    await context.Response.Body.FlushAsync();
                    await Task.Delay(400, context.RequestAborted);
                }
                return;
            case "/ws":
                await WebSocketEchoAsync(context);
                return;
            case "/set-headers":
                context.Response.Headers["X-Frame-Options"] = "DENY";
                await context.Response.WriteAsync("own headers");
                return;
        }
        var length = 0;
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
        {
            length += read;
        }
        var seen = new Seen(context.Request.Method, context.Features.Get<IHttpRequestFeature>()!.RawTarget,
            context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), length);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(seen));
    }

    private static async Task WebSocketEchoAsync(HttpContext context)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>()!;
        var key = context.Request.Headers["Sec-WebSocket-Key"].ToString();
        if (!upgrade.IsUpgradableRequest || key.Length == 0)
        {
            context.Response.StatusCode = 426;
            return;
        }
#pragma warning disable CA5350 // RFC 6455 fixes SHA-1 for the handshake; it is not used for security here
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350
        context.Response.StatusCode = 101;
        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers["Sec-WebSocket-Accept"] = accept;
        var stream = await upgrade.UpgradeAsync();
        using var socket = WebSocket.CreateFromStream(stream, isServer: true, subProtocol: null, keepAliveInterval: TimeSpan.FromSeconds(30));
        var buffer = new byte[4096];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                return;
            }
            var text = "echo: " + Encoding.UTF8.GetString(buffer, 0, result.Count);
            await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
        }
    }
}
