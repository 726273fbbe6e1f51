using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Slipway.State;

namespace Slipway.Jobs;

/// <summary>The messages API for apps: its own Kestrel server on a loopback port, because apps run as local
/// processes and the platform's API is on a Unix socket only its owner may use. Each app process gets the URL
/// (SLIPWAY_MESSAGES_URL) and its environment's token (SLIPWAY_MESSAGES_TOKEN); the token decides which app
/// a message belongs to, so an app can only schedule requests to itself (or hosts its config allows).
///
///   POST /v1/messages        (Authorization: Bearer TOKEN) → 202 { id, status, notBefore }
///   GET  /v1/messages/{id}   (same token)                  → the message's delivery state
/// </summary>
internal sealed partial class MessagesServer(
    JobSecrets secrets,
    JobStore jobs,
    AppTargets targets,
    MessageDelivery delivery,
    MessageSealer sealer,
    JobsClock jobsClock,
    MessagesAddress address,
    JobsOptions options,
    ILoggerFactory loggerFactory,
    ListeningSockets? sockets = null) : IHostedService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private WebApplication? _app;
    private ListeningSockets? _listening;

    /// <summary>http://127.0.0.1:PORT once started.</summary>
    public string? BaseUrl => address.BaseUrl;

    /// <summary>Listens on the port the previous platform process used (kept in DATA/messages.port): instances it
    /// started run on, with that URL in their environment. Another port only when that one is taken.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var portFile = Path.Combine(Path.GetDirectoryName(options.DatabasePath) ?? ".", "messages.port");
        var previous = File.Exists(portFile) && int.TryParse(File.ReadAllText(portFile).Trim(), System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : 0;
        var listening = _listening = sockets ?? new ListeningSockets();
        System.Net.Sockets.Socket socket;
        try
        {
            socket = listening.Tcp("messages", IPAddress.Loopback, previous);
        }
        catch (System.Net.Sockets.SocketException e) when (previous != 0)
        {
            // Another process took the port while no platform ran (no supervisor kept the socket): the instances the
            // previous run started would send their messages, with their token, to it. They are not adopted
            // (Recovery) but replaced, with the new URL.
            socket = listening.Tcp("messages", IPAddress.Loopback, 0);
            address.Moved = $"the messages port {previous} was taken while no platform process ran ({e.SocketErrorCode}); " +
                $"now {((IPEndPoint)socket.LocalEndPoint!).Port}";
            LogMoved(loggerFactory.CreateLogger<MessagesServer>(), address.Moved);
        }
        _app = await StartOnAsync(socket, cancellationToken);
        var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        address.BaseUrl = $"http://127.0.0.1:{port}";
        if (port != previous)
        {
            File.WriteAllText(portFile, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private async Task<WebApplication> StartOnAsync(System.Net.Sockets.Socket socket, CancellationToken cancellationToken)
    {
        var builder = WebHosts.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = PublishRequest.MaxBodyBytes * 2L;
            kestrel.ListenHandle(ListeningSockets.HandleFor(socket));
        });
        var app = builder.Build();
        app.MapPost("/v1/messages", (Delegate)PublishAsync);
        app.MapGet("/v1/messages/{id}", (string id, HttpContext context) => Status(id, context));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return app;
    }

    private async Task<IResult> PublishAsync(HttpContext context)
    {
        if (App(context) is not { } app)
        {
            return Unauthorized();
        }
        PublishRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<PublishRequest>(context.Request.Body, Json, context.RequestAborted);
        }
        catch (JsonException e)
        {
            return Problem(400, $"The body is not a valid message: {e.Message}");
        }
        if (body is null)
        {
            return Problem(400, "Send a JSON body like { \"path\": \"/jobs/send-email\", \"body\": \"...\", \"delay\": \"30s\" }.");
        }
        if (jobs.PendingCount(app) >= JobStore.MaxPendingPerApp)
        {
            return Problem(429, $"{JobStore.MaxPendingPerApp} messages are pending for this app, the most it may have; publish again once " +
                                "some are delivered (see them with 'slipway messages ls --status pending').");
        }
        var now = jobsClock.Now;
        var (message, problems) = body.Validate(now, targets.Live(app)?.Config ?? new Dictionary<string, string>());
        if (message is null)
        {
            return Problem(400, string.Join("\n", problems));
        }
        var (headersJson, sealedBody) = sealer.Seal(JsonSerializer.Serialize(message.Headers, Json), message.Body);
        var record = new MessageRecord(Ids.New("m"), app, message.Service, message.Path, message.Url, message.Method,
            headersJson, sealedBody, JobTime.Format(message.NotBefore), message.Retries,
            (long)message.Backoff.TotalMilliseconds, 0, MessageStatus.Pending, null, null, JobTime.Format(now), null);
        jobs.InsertMessage(record);
        delivery.Wake();
        return Results.Json(new { id = record.Id, status = record.Status, notBefore = record.NotBefore }, Json, statusCode: 202);
    }

    private IResult Status(string id, HttpContext context)
    {
        if (App(context) is not { } app)
        {
            return Unauthorized();
        }
        var message = jobs.FindMessage(id);
        return message is null || message.App != app
            ? Problem(404, $"No message '{id}' of this app.")
            : Results.Json(MessageView.Of(message), Json);
    }

    private string? App(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) ? secrets.AppOfToken(header["Bearer ".Length..].Trim()) : null;
    }

    private static IResult Unauthorized() =>
        Problem(401, "Send 'Authorization: Bearer $SLIPWAY_MESSAGES_TOKEN' (the token is in your app's environment).");

    private static IResult Problem(int status, string detail) =>
        Results.Json(new { status, detail }, Json, "application/problem+json", status);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
            await _app.DisposeAsync();
        }
        _listening?.Release("messages");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The messages listener moved: {Reason}; the instances of the previous run are replaced, not adopted")]
    private static partial void LogMoved(ILogger logger, string reason);
}
