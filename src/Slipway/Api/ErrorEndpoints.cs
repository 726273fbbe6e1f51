using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Slipway.Errors;
using Slipway.Errors.SourceMaps;
using Slipway.State;

namespace Slipway.Api;

/// <summary>The platform API's error tracking endpoints (what `slipway errors` calls): an environment's issues, one
/// issue with its latest event, triage (resolve, ignore, reopen), and the environment's DSN.</summary>
internal static partial class ErrorEndpoints
{
    public static void MapErrorApi(this IEndpointRouteBuilder api)
    {
        var v1 = api.MapGroup("/v1/apps/{app}/errors");
        v1.MapGet("", (string app, string? since, string? status, int? limit, Store store, ErrorStore errors, TimeProvider clock, HttpContext context) =>
        {
            AppScope.Require(context, store, app);
            DateTimeOffset? from = since is null ? null
                : clock.GetUtcNow() - (Durations.TryParseWindow(since, out var span) && span > TimeSpan.Zero
                    ? span
                    : throw new UserException($"--since '{since}': give a duration like 30m, 24h or 7d."));
            IssueStatus? only = status is null ? null
                : JsonSpellings.TryParse<IssueStatus>(status, out var s) ? s : throw new UserException($"--status '{status}': use unresolved, resolved or ignored.");
            return errors.List(app, from, only, Math.Clamp(limit ?? 50, 1, 1000)).Select(IssueView.Of);
        }).RequireAccess(Access.Permission.Read, "errors.list");
        v1.MapGet("/dsn", (string app, Store store, ErrorStore errors, ErrorsAddress address, HttpContext context) =>
        {
            AppScope.Require(context, store, app);
            return new ErrorDsnView(address.DsnOf(errors.ProjectFor(app)), ErrorsEnvironment.Dsn);
        }).RequireAccess(Access.Permission.Read, "errors.dsn");
        v1.MapGet("/{id:long}", (string app, long id, Store store, ErrorStore errors, ErrorReleases releases, SourceMapStore maps, ILogger<SourceMapStore> logger,
            HttpContext context) =>
        {
            var record = AppScope.Require(context, store, app);
            var issue = Find(errors, app, id);
            var latest = errors.Events(id, 1).FirstOrDefault();
            // The maps of the build that served the event (its release), kept per app: a promoted build is the same one.
            return IssueDetail.Of(issue, latest, Suggestion(issue, record, releases), latest is null ? null : maps.For(record.App, latest.Release),
                e => LogSymbolicationFailed(logger, app, id, e));
        }).RequireAccess(Access.Permission.Read, "errors.show");
        v1.MapPost("/{id:long}/{action}", (string app, long id, string action, Store store, ErrorStore errors, ErrorReleases releases, HttpContext context) =>
        {
            AppScope.Require(context, store, app);
            Find(errors, app, id);
            AccessControl.AuditDetail(context, $"{action} #{id}");
            return IssueView.Of(action switch
            {
                "resolve" => errors.SetStatus(id, IssueStatus.Resolved, releases.Live(app)),
                "ignore" => errors.SetStatus(id, IssueStatus.Ignored, null),
                "reopen" => errors.SetStatus(id, IssueStatus.Unresolved, null),
                _ => throw new UserException($"'{action}' is no action on an issue: use resolve, ignore or reopen.", 404),
            });
        }).RequireAccess(Access.Permission.Deploy, "errors.triage");
    }

    private static IssueRecord Find(ErrorStore errors, string app, long id) =>
        errors.Find(id) is { } issue && issue.AppKey == app
            ? issue
            : throw new UserException($"No issue #{id} here. List them with: slipway errors ls --app APP", 404);

    /// <summary>An issue that began with a deployment (first seen in its release, after it went live) suggests rolling
    /// back to what was live before it.</summary>
    internal static string? Suggestion(IssueRecord issue, AppRecord app, ErrorReleases releases)
    {
        if (issue.FirstRelease is not { } release || releases.FirstDeployment(app.Name, release) is not { LiveAt: { } live } started || issue.FirstSeen < live)
        {
            return null;
        }
        return releases.Before(app.Name, started) is { } before
            ? $"It started with deployment {started.Id} (release {release}). To go back: slipway rollback {app.Ref.Flags} --to {before.Id}"
            : null;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Applying the source maps to issue #{Id} of {App} failed; its frames are shown as sent")]
    private static partial void LogSymbolicationFailed(ILogger logger, string app, long id, Exception exception);
}

/// <summary>An issue as `errors ls` shows it.</summary>
internal sealed record IssueView(long Id, string Title, string? Culprit, string Level, IssueStatus Status, long Count, long Users, DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen, string? FirstRelease, string? LastRelease, string? ResolvedIn, string? RegressedIn)
{
    public static IssueView Of(IssueRecord i) =>
        new(i.Id, i.Title, i.Culprit, i.Level, i.Status, i.Count, i.Users, i.FirstSeen, i.LastSeen, i.FirstRelease, i.LastRelease, i.ResolvedIn, i.RegressedIn);
}

internal sealed record ErrorDsnView(string? Dsn, string Variable);

internal sealed record FrameView(string Where, string? Function, bool? InApp, string? Context, string? Minified);

internal sealed record ExceptionView(string Type, string? Value, bool? Handled, IReadOnlyList<FrameView> Frames);

internal sealed record BreadcrumbView(string? Timestamp, string? Category, string? Level, string? Message);

/// <summary>An issue with its latest event, as `errors show` prints it.</summary>
internal sealed record IssueDetail(IssueView Issue, string? EventId, string? Release, string? Environment, IReadOnlyList<ExceptionView> Exceptions,
    IReadOnlyDictionary<string, string> Tags, IReadOnlyList<BreadcrumbView> Breadcrumbs, string? Request, string? User, string? Message, string? Suggestion)
{
    /// <summary>Why maps of the event's build could not be used for some frames (those stay as sent).</summary>
    public IReadOnlyList<string>? SourceMapProblems { get; init; }

    /// <param name="maps">The maps of the event's build: its frames are shown with original sources where they cover them.</param>
    /// <param name="bug">Hears an unexpected failure to apply them (the frames are then shown as sent).</param>
    public static IssueDetail Of(IssueRecord issue, StoredEvent? latest, string? suggestion, SourceMapStore.Lookup? maps = null, Action<Exception>? bug = null)
    {
        if (latest is null || JsonNode.Parse(latest.Body) is not JsonObject body)
        {
            return new(IssueView.Of(issue), null, null, null, [], new Dictionary<string, string>(), [], null, null, null, suggestion);
        }
        var e = EventReader.Read(body, latest.ReceivedAt);
        var shown = e.Exceptions;
        List<string> problems = [];
        if (maps is not null)
        {
            try
            {
                shown = Symbolicator.Apply(e.Exceptions, maps);
            }
            catch (Exception failure) when (failure is not OutOfMemoryException)
            {
                // Source maps are a help for reading the stack: the stack as sent is still worth showing.
                bug?.Invoke(failure);
                problems.Add("the source maps could not be applied (an internal error; the platform log has it)");
            }
            problems.InsertRange(0, maps.Problems);
        }
        var exceptions = shown.Select(x => new ExceptionView(x.Type, x.Value, x.Handled,
            x.Frames.Reverse().Select(f => new FrameView(f.Where, f.Function, f.InApp, f.ContextLine?.Trim(), f.Minified)).ToList())).Reverse().ToList();
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal);
        switch (body["tags"])
        {
            case JsonObject o:
                foreach (var (k, v) in o)
                {
                    tags[k] = EventReader.Text(v) ?? "";
                }
                break;
            case JsonArray pairs:
                foreach (var pair in pairs.OfType<JsonArray>().Where(p => p.Count == 2))
                {
                    tags[EventReader.Text(pair[0]) ?? ""] = EventReader.Text(pair[1]) ?? "";
                }
                break;
        }
        var breadcrumbs = EventReader.Values(body["breadcrumbs"]).OfType<JsonObject>().TakeLast(30)
            .Select(b => new BreadcrumbView(Timestamp(b["timestamp"]), EventReader.Text(b["category"]), EventReader.Text(b["level"]),
                EventReader.Text(b["message"]) ?? Summary(b["data"])))
            .ToList();
        var request = body["request"] is JsonObject r ? $"{EventReader.Text(r["method"]) ?? "GET"} {EventReader.Text(r["url"])}" : null;
        var user = body["user"] is JsonObject u ? EventReader.Text(u["id"]) ?? EventReader.Text(u["username"]) : null;
        return new(IssueView.Of(issue), latest.EventId, latest.Release, latest.Environment, exceptions, tags, breadcrumbs, request, user, e.Message, suggestion)
        {
            SourceMapProblems = problems.Count > 0 ? problems : null,
        };
    }

    private static string? Timestamp(JsonNode? node) => node is JsonValue v && v.TryGetValue(out double seconds)
        ? DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000)).ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)
        : EventReader.Text(node);

    private static string? Summary(JsonNode? data) => data is JsonObject o
        ? string.Join(" ", o.Where(kv => kv.Value is JsonValue).Take(4).Select(kv => $"{kv.Key}={EventReader.Text(kv.Value)}"))
        : null;
}
