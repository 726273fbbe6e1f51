using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Slipway.Api;

/// <summary>User errors become 4xx ProblemDetails with the message as detail; a full disk (SQLite's SQLITE_FULL, ENOSPC)
/// is a 507 that says what to free; anything else is a bug: logged with its stack trace and answered 500 without internals.</summary>
internal static partial class ApiErrors
{
    public static void UseSlipwayErrors(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Slipway.Api");
        var dataDir = app.Services.GetService<ApiOptions>()?.DataDir is { Length: > 0 } dir ? dir : "the data directory";
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
            catch (Exception e) when (!context.Response.HasStarted && IsDiskFull(e))
            {
                LogDiskFull(logger, context.Request.Method, context.Request.Path, e.Message);
                await WriteAsync(context, StatusCodes.Status507InsufficientStorage, "Disk full", DiskFullDetail(dataDir));
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                LogBug(logger, context.Request.Method, context.Request.Path, e);
                await WriteAsync(context, 500, "Internal error", "Slipway hit an internal error; the platform log has the details.");
            }
        });
    }

    /// <summary>A write failed for want of space: SQLite's SQLITE_FULL (13), or ENOSPC from the file system, anywhere in
    /// the exception's chain.</summary>
    internal static bool IsDiskFull(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SqliteException { SqliteErrorCode: SQLitePCL.raw.SQLITE_FULL })
            {
                return true;
            }
        }
        return DiskFull.Is(e);
    }

    /// <summary>What the user reads when a command could not write state: which disk, and what takes space that may go.</summary>
    internal static string DiskFullDetail(string dataDir) =>
        $"The disk holding Slipway's data directory ({dataDir}) is full, so this change could not be saved. Free space on it " +
        $"and try again; 'du -sh {dataDir}/*' shows what takes it. What may go: old builds kept for rollback ({dataDir}/builds; " +
        $"a lower --keep-builds on 'slipway server' keeps fewer from the next deployment on), the dependency cache " +
        $"({dataDir}/cache, rebuilt when needed), old log segments ({dataDir}/logs: in each folder the NNNNNNNN.ndjson files with the lowest numbers), " +
        $"database backups ({dataDir}/backups/files; a lower backups.keepDaily or keepWeekly in slipway.json keeps fewer), " +
        "or files outside Slipway on the same disk.";

    private static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        if (await DashboardPage.TryWriteProblemAsync(context, status, title, detail))
        {
            return;
        }
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(new ProblemDetails { Status = status, Title = title, Detail = detail },
            options: null, contentType: "application/problem+json");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "API {Method} {Path} failed: the disk is full ({Error})")]
    private static partial void LogDiskFull(ILogger logger, string method, string path, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "API {Method} {Path} failed")]
    private static partial void LogBug(ILogger logger, string method, string path, Exception exception);
}
