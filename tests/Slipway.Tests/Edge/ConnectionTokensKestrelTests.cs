using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Slipway.Edge;

namespace Slipway.Tests.Edge;

/// <summary>ConnectionTokenCapture on a real Kestrel, fed by a raw socket: what the handler learns per request.</summary>
public sealed class ConnectionTokensKestrelTests
{
    [Fact]
    public async Task Pipelined_requests_each_get_their_own_connection_tokens()
    {
        var seen = new ConcurrentQueue<(string Target, string Kestrel, string[]? Tokens)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Use(ConnectionTokenCapture.Middleware)));
        await using var app = builder.Build();
        app.Run(async context =>
        {
            var request = context.Features.Get<IHttpRequestFeature>()!;
            var tokens = context.Features.Get<IConnectionTokensFeature>()!.TryTake(request.Method, request.RawTarget, out var found)
                ? found.ToArray() : null;
            seen.Enqueue((request.RawTarget, context.Request.Headers.Connection.ToString(), tokens));
            await context.Request.Body.CopyToAsync(Stream.Null);
            context.Response.ContentLength = 2;
            await context.Response.WriteAsync("ok");
        });
        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;

        const string fake = "GET /fake HTTP/1.1\r\nConnection: keep-alive, X-Fake\r\n\r\n";
        var requests =
            $"POST /one HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Foo\r\nX-Foo: 1\r\nContent-Length: {fake.Length}\r\n\r\n{fake}" +
            "GET /two?q=1 HTTP/1.1\r\nHost: x\r\nConnection: close, X-Bar, x-baz\r\nX-Bar: 2\r\n\r\n";
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(requests)); // one write: Kestrel reads both heads at once
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var answer = new MemoryStream();
        await stream.CopyToAsync(answer, timeout.Token); // the second request closes the connection
        await app.StopAsync();

        Encoding.Latin1.GetString(answer.ToArray()).Split("HTTP/1.1 200 OK").Should().HaveCount(3);
        // Kestrel's own header keeps only keep-alive / close; the feature gives every token, to the right request.
        seen.Select(s => $"{s.Target} kestrel=[{s.Kestrel}] tokens=[{string.Join(", ", s.Tokens ?? ["none"])}]").Should().Equal(
            "/one kestrel=[keep-alive] tokens=[keep-alive, X-Foo]",
            "/two?q=1 kestrel=[close] tokens=[close, X-Bar, x-baz]");
    }
}
