using Microsoft.AspNetCore.Http;

namespace Slipway.Edge;

/// <summary>Every request on the HTTP port: Host picks the app, the path picks the service, then either a
/// static file or an instance answers. An instance that refuses the connection is taken out of rotation
/// (its health probe brings it back) and a request without a body goes to another instance, so a crashed
/// replica costs no failed request.</summary>
internal sealed class EdgeHandler(Routes routes, HttpForwarder forwarder)
{
    public async Task HandleAsync(HttpContext context)
    {
        var host = context.Request.Host.Value ?? "";
        var app = routes.Current.Match(host);
        if (app is null)
        {
            await ErrorPages.WriteAsync(context, StatusCodes.Status404NotFound, "No app here",
                $"No app is deployed at {host}. Run 'slipway apps' to see the apps and their URLs.");
            return;
        }
        var path = context.Request.Path.Value ?? "/";
        var service = app.MatchPath(path);
        if (service is null)
        {
            await ErrorPages.WriteAsync(context, StatusCodes.Status404NotFound, "Not found",
                $"No service of {app.App} answers {path}.");
            return;
        }
        if (service.Site is { } site)
        {
            await site.ServeAsync(context, path);
            return;
        }

        var backend = service.Pick();
        // Nothing was sent when a connect fails, so any request without a body may go elsewhere. A request that
        // was sent and then lost its connection (the instance died mid-way) is retried only when it is idempotent.
        var hasBody = HttpForwarder.HasBody(context.Request);
        var idempotent = !hasBody && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) ||
            HttpMethods.IsOptions(context.Request.Method));
        for (var attempt = 0; ; attempt++)
        {
            if (backend is null)
            {
                await ErrorPages.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Service unavailable",
                    $"{app.App}/{service.Name} has no healthy instance right now. 'slipway status --app {app.App}' shows why.");
                return;
            }
            backend.Enter();
            ForwarderError error;
            try
            {
                error = await forwarder.ForwardAsync(context, backend);
            }
            finally
            {
                backend.Leave();
            }
            switch (error)
            {
                case ForwarderError.None or ForwarderError.ClientDisconnected or ForwarderError.ResponseFailed:
                    return;
                case ForwarderError.ConnectFailed when attempt == 0 && !hasBody:
                case ForwarderError.RequestFailed when attempt == 0 && idempotent && !context.Response.HasStarted:
                    backend.Healthy = false;
                    // The table may have been swapped meanwhile (a deploy switched): retry on the current one.
                    if (routes.Current.Match(host)?.MatchPath(path) is { Site: null } current)
                    {
                        service = current;
                    }
                    backend = service.Pick(exclude: backend);
                    continue;
                default:
                    if (error == ForwarderError.ConnectFailed)
                    {
                        backend.Healthy = false;
                    }
                    await ErrorPages.WriteAsync(context, StatusCodes.Status502BadGateway, "Bad gateway",
                        $"{app.App}/{service.Name} did not answer ({error}).");
                    return;
            }
        }
    }
}
