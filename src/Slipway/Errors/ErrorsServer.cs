using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Slipway.Errors;

/// <summary>The Sentry-compatible ingest for server processes: its own Kestrel server on a loopback port, as the
/// messages API is (an app's processes reach 127.0.0.1; *.localhost does not resolve for Node here and an isolated app
/// may not reach the public listener). Each process gets SENTRY_DSN naming this port, its project's numeric id and key.
///
///   POST /api/ID/envelope/   (X-Sentry-Auth or ?sentry_key=)  → 200 {"id": EVENT_ID}
///   POST /api/ID/store/      (legacy: one event as JSON)       → 200 {"id": EVENT_ID}
/// </summary>
internal sealed partial class ErrorsServer(ErrorIngest ingest, ErrorsAddress address, ErrorsOptions options, ILoggerFactory loggerFactory,
    ListeningSockets? sockets = null) : IHostedService
{
    private WebApplication? _app;
    private ListeningSockets? _listening;

    /// <summary>Listens on the port the previous platform process used (DATA/errors.port), so the DSN instances it
    /// started hold stays right; another port only when that one is taken.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var portFile = Path.Combine(options.DataDir, "errors.port");
        var previous = File.Exists(portFile) && int.TryParse(File.ReadAllText(portFile).Trim(), System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : 0;
        var listening = _listening = sockets ?? new ListeningSockets();
        System.Net.Sockets.Socket socket;
        try
        {
            socket = listening.Tcp("errors", IPAddress.Loopback, previous);
        }
        catch (System.Net.Sockets.SocketException e) when (previous != 0)
        {
            socket = listening.Tcp("errors", IPAddress.Loopback, 0);
            address.Moved = $"the error ingest port {previous} was taken while no platform process ran ({e.SocketErrorCode}); " +
                $"now {((IPEndPoint)socket.LocalEndPoint!).Port}";
            LogMoved(loggerFactory.CreateLogger<ErrorsServer>(), address.Moved);
        }
        var builder = WebHosts.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxBody * 2;
            kestrel.ListenHandle(ListeningSockets.HandleFor(socket));
        });
        var app = builder.Build();
        app.MapPost("/api/{project}/envelope", (string project, HttpContext context) => ReceiveAsync(context, project, envelope: true));
        app.MapPost("/api/{project}/store", (string project, HttpContext context) => ReceiveAsync(context, project, envelope: false));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        _app = app;
        var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        address.BaseUrl = $"http://127.0.0.1:{port}";
        if (port != previous)
        {
            File.WriteAllText(portFile, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>One request of an SDK (also what the edge's tunnel hands over).</summary>
    internal async Task ReceiveAsync(HttpContext context, string project, bool envelope)
    {
        var request = context.Request;
        try
        {
            if (!long.TryParse(project, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
            {
                throw new ErrorIngestException(404, $"'{project}' is no project: a DSN ends in a number (http://KEY@HOST/42).");
            }
            var key = SentryAuth.KeyOf(request.Headers["X-Sentry-Auth"].ToString(), request.Headers.Authorization.ToString(), request.Query["sentry_key"].ToString());
            var body = await ingest.ReadBodyAsync(request.Body, request.Headers.ContentEncoding.ToString(), context.RequestAborted);
            Envelope? parsed = null;
            if (key is null && envelope && body.Length > 0)
            {
                // A browser's tunnel sends no header: the DSN is in the envelope's own header (read once, kept for the store).
                parsed = Envelope.Parse(body);
                if (SentryAuth.ParseDsn(parsed.Dsn) is { } dsn)
                {
                    key = dsn.Project == id ? dsn.Key
                        : throw new ErrorIngestException(403, $"The envelope's DSN names project {dsn.Project}, not {id}: send each app's errors through its own host.");
                }
            }
            var target = ingest.Authenticate(id, key);
            var eventId = !envelope ? ingest.StoreEvent(target, body) : parsed is not null ? ingest.Envelope(target, parsed) : ingest.Envelope(target, body);
            await Results.Json(new { id = eventId }).ExecuteAsync(context);
        }
        catch (ErrorIngestException e)
        {
            if (e.RetryAfter is { } wait)
            {
                context.Response.Headers.RetryAfter = wait.ToString(System.Globalization.CultureInfo.InvariantCulture);
                context.Response.Headers["X-Sentry-Rate-Limits"] = $"{wait}:error;default:project";
            }
            context.Response.Headers["X-Sentry-Error"] = e.Message;
            await Results.Json(new { detail = e.Message }, statusCode: e.Status).ExecuteAsync(context);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await Results.Json(new { detail = $"The request body is larger than {Manifests.ByteSizes.Format(options.MaxBody)}." }, statusCode: 413).ExecuteAsync(context);
        }
        catch (Exception e) when (e is not OperationCanceledException && !context.Response.HasStarted)
        {
            // A bug, never the SDK's fault: logged with its stack, and the SDK told to try later (it keeps the event).
            LogFailed(loggerFactory.CreateLogger<ErrorsServer>(), project, e);
            context.Response.Headers.RetryAfter = "60";
            await Results.Json(new { detail = "The platform failed to store the event (an internal error; details in the platform log)." },
                statusCode: StatusCodes.Status500InternalServerError).ExecuteAsync(context);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Error tracking failed to take an event for project {Project}")]
    private static partial void LogFailed(ILogger logger, string project, Exception exception);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
            await _app.DisposeAsync();
        }
        _listening?.Release("errors");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The error ingest listener moved: {Reason}; the instances of the previous run are replaced, not adopted")]
    private static partial void LogMoved(ILogger logger, string reason);
}
