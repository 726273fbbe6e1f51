using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Slipway.Databases;

namespace Slipway.Api;

/// <summary>Runs a long database operation for an API request. With ?progress=1 the answer is NDJSON, written
/// as the operation goes (like a deployment's log):
///
///   {"step":"dump written: 1.2 GB in 41.0 s"}   one per step, as it happens
///   {"result":{...}}                            the outcome (the same object the plain answer has)
///   {"error":"..."}                             a user error after the first step (before it: ProblemDetails)
///
/// An empty line goes out whenever nothing else has for <see cref="ApiOptions.StreamKeepAlive"/>, so the edge does not
/// cut (and thereby cancel) an operation that is quiet for longer than its idle limit, such as a big dump; readers skip
/// empty lines. Once one has gone out, a user error comes as {"error"} too. Without ?progress=1 the answer is the outcome
/// alone, for scripts (--json).</summary>
internal static partial class ProgressStream
{
    private static readonly JsonSerializerOptions Json = JsonSpellings.Web();

    public const string ContentType = "application/x-ndjson";

    public static async Task<IResult> RunAsync<T>(HttpContext context, Func<OperationProgress, Task<T>> operation)
    {
        if (context.Request.Query["progress"] != "1")
        {
            return Results.Ok(await operation(OperationProgress.None));
        }
        var response = context.Response;
#pragma warning disable CA2000 // not disposed: a progress tick may still arrive after the operation returned; without AvailableWaitHandle it holds no OS handle
        var gate = new SemaphoreSlim(1, 1);
#pragma warning restore CA2000
        async Task WriteAsync(object line)
        {
            await gate.WaitAsync(CancellationToken.None);
            try
            {
                if (!response.HasStarted)
                {
                    response.ContentType = ContentType;
                }
                await response.WriteAsync(JsonSerializer.Serialize(line, Json) + "\n", context.RequestAborted);
                await response.Body.FlushAsync(context.RequestAborted);
            }
            finally
            {
                gate.Release();
            }
        }
        var quiet = context.RequestServices.GetRequiredService<ApiOptions>().StreamKeepAlive;
        var lastWrite = Environment.TickCount64;
        async Task WriteLineAsync(object line)
        {
            await WriteAsync(line);
            Interlocked.Exchange(ref lastWrite, Environment.TickCount64);
        }
        using var done = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var keepAlive = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(1, quiet.TotalMilliseconds / 3)));
            try
            {
                while (await timer.WaitForNextTickAsync(done.Token))
                {
                    if (Environment.TickCount64 - Interlocked.Read(ref lastWrite) < quiet.TotalMilliseconds)
                    {
                        continue;
                    }
                    await gate.WaitAsync(done.Token);
                    try
                    {
                        if (done.IsCancellationRequested)
                        {
                            break;
                        }
                        if (!response.HasStarted)
                        {
                            response.ContentType = ContentType;
                        }
                        // The request's own token, not done's: cancelling a write aborts the connection, and the
                        // operation's outcome is still to be written on it.
                        await response.WriteAsync("\n", context.RequestAborted);
                        await response.Body.FlushAsync(context.RequestAborted);
                        Interlocked.Exchange(ref lastWrite, Environment.TickCount64);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // The operation ended or the client went away.
            }
        }, CancellationToken.None);
        T result;
        try
        {
            result = await operation(new OperationProgress(step => WriteLineAsync(new { step })));
        }
        catch (UserException e)
        {
            // Stopped first, so whether the answer has started (a step, a keep-alive) cannot change after the check.
            await StopAsync();
            if (!response.HasStarted)
            {
                throw;
            }
            AccessControl.AuditFailedLate(context, e.StatusCode);
            await WriteAsync(new { error = e.Message });
            return Results.Empty;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug or a full disk once the answer has started (a step, a keep-alive): ApiErrors can no longer answer
            // with a status, so the stream ends with the reason instead of being cut without one.
            await StopAsync();
            if (!response.HasStarted)
            {
                throw;
            }
            LogFailed(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Slipway.Api"),
                context.Request.Method, context.Request.Path.Value ?? "", e);
            AccessControl.AuditFailedLate(context, StatusCodes.Status500InternalServerError);
            await WriteAsync(new
            {
                error = ApiErrors.IsDiskFull(e)
                    ? ApiErrors.DiskFullDetail(context.RequestServices.GetRequiredService<ApiOptions>().DataDir)
                    : "Slipway hit an internal error; the platform log has the details.",
            });
            return Results.Empty;
        }
        finally
        {
            await StopAsync();
        }
        await WriteAsync(new { result });
        return Results.Empty;

        async Task StopAsync()
        {
            await done.CancelAsync();
            await keepAlive;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "API {Method} {Path} failed after its progress began")]
    private static partial void LogFailed(ILogger logger, string method, string path, Exception exception);
}
