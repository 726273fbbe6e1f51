using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace Slipway.Api;

/// <summary>User errors become 4xx ProblemDetails with the message as detail; anything else is a bug: logged
/// with its stack trace and answered 500 without internals.</summary>
internal static partial class ApiErrors
{
    public static void UseSlipwayErrors(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Slipway.Api");
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (UserException e) when (!context.Response.HasStarted)
            {
                await WriteAsync(context, e.StatusCode, e.StatusCode == 404 ? "Not found" : "Bad request", e.Message);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                await WriteAsync(context, 400, "Bad request", e.Message);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                LogBug(logger, context.Request.Method, context.Request.Path, e);
                await WriteAsync(context, 500, "Internal error", "Slipway hit an internal error; the platform log has the details.");
            }
        });
    }

    private static Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ProblemDetails { Status = status, Title = title, Detail = detail },
            options: null, contentType: "application/problem+json");
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "API {Method} {Path} failed")]
    private static partial void LogBug(ILogger logger, string method, string path, Exception exception);
}
