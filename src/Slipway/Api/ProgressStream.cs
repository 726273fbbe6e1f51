using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Slipway.Databases;

namespace Slipway.Api;

/// <summary>Runs a long database operation for an API request. With ?progress=1 the answer is NDJSON, written
/// as the operation goes (like a deployment's log):
///
///   {"step":"dump written: 1.2 GB in 41.0 s"}   one per step, as it happens
///   {"result":{...}}                            the outcome (the same object the plain answer has)
///   {"error":"..."}                             a user error after the first step (before it: ProblemDetails)
///
/// Without it the answer is the outcome alone, for scripts (--json).</summary>
internal static class ProgressStream
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
        T result;
        try
        {
            result = await operation(new OperationProgress(step => WriteAsync(new { step })));
        }
        catch (UserException e) when (response.HasStarted)
        {
            await WriteAsync(new { error = e.Message });
            return Results.Empty;
        }
        await WriteAsync(new { result });
        return Results.Empty;
    }
}
