using Microsoft.AspNetCore.Http;

namespace Slipway.Errors;

/// <summary>/_slipway/errors on every app host: a browser SDK's <c>tunnel</c> option sends its envelopes here, to the
/// app's own origin, with the DSN in the envelope's header. Only the project of the host's own app environment is
/// taken: a page of one app cannot file errors under another.</summary>
internal sealed class ErrorsTunnel(ErrorsServer server, ErrorStore store) : Edge.IEdgeHostPath
{
    public const string TunnelPath = "/_slipway/errors";

    public string Path => TunnelPath;

    public Task HandleAsync(HttpContext context, string app)
    {
        if (app.StartsWith('('))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound; // the platform's own host has no project
            return Task.CompletedTask;
        }
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "POST";
            return Task.CompletedTask;
        }
        return server.ReceiveAsync(context, store.ProjectFor(app).Id.ToString(System.Globalization.CultureInfo.InvariantCulture), envelope: true);
    }
}
