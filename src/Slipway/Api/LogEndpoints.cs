using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Slipway.Deploy;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Api;

/// <summary>/v1/apps/{app}/logs (search and follow an app's output or its access log) and /v1/deployments/{id}/log,
/// both NDJSON: one <see cref="LogEntry"/> a line, the stored ones that match, then (following) new ones as they come.</summary>
internal static class LogEndpoints
{
    /// <summary>How long a search of stored lines may take before it is stopped with an error (a pattern slow on
    /// every line, each under <see cref="LogPattern.MatchTimeout"/>, over a full log).</summary>
    internal static readonly TimeSpan SearchBudget = TimeSpan.FromSeconds(30);

    public static void MapLogsApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/apps/{app}/logs", (string app, string? since, string? until, string? service, string? grep, bool? ignoreCase,
            string? level, int? tail, bool? follow, bool? access, Store store, LogStore logs, TimeProvider clock, HttpContext context) =>
        {
            AppScope.Require(context, store, app);
            if (service is not null)
            {
                RequireService(store, app, service);
            }
            var query = Query(since, until, level, grep, ignoreCase ?? false, service, clock);
            if (follow == true && query.Until is not null)
            {
                throw new UserException("--until and --follow do not go together: following shows new lines, and they are all after --until. " +
                    "Drop one of them.");
            }
            if (tail is < 0 or > MaxTail)
            {
                throw new UserException($"--tail {tail} is out of range: use 0 to {MaxTail:N0} (with --since and --until to look further back).");
            }
            var key = access == true ? LogKeys.Access(app) : LogKeys.App(app);
            return StreamAsync(context, logs, key, query, tail ?? 200, follow ?? false, withLevels: true, _ => false);
        }).RequireAccess(Access.Permission.Read, "logs");

        api.MapGet("/v1/deployments/{id}/log", (string id, bool? follow, Store store, LogStore logs, HttpContext context) =>
        {
            var deployment = store.FindDeployment(id) ?? throw new UserException($"No deployment '{id}'.", 404);
            // Following ends at the final status entry, not at the row's status: a deployment is marked live a moment
            // before its last lines (a rollback's config write-back) and the status entry are written.
            return StreamAsync(context, logs, LogKeys.Deployment(deployment.App, id), LogQuery.All, int.MaxValue, follow ?? false, withLevels: false,
                e => e.Kind == "status" && DeploymentStatuses.TerminalSpellings.Contains(e.Message),
                () => (store.FindDeployment(id)?.Status ?? DeploymentStatus.Failed).IsTerminal());
        }).RequireAccess(Access.Permission.Read, "deployments.log", ApiEndpoints.DeploymentApp);
    }

    /// <summary>The query the parameters ask for, or the user error naming the one that is wrong.</summary>
    internal static LogQuery Query(string? since, string? until, string? level, string? grep, bool ignoreCase, string? service, TimeProvider clock)
    {
        LogSeverity? least = null;
        if (level is not null)
        {
            least = LogLevels.TryParse(level, out var parsed)
                ? parsed
                : throw new UserException($"--level '{level}' is not a level: use one of {LogLevels.Choices} (it shows that level and worse).");
        }
        var query = new LogQuery
        {
            Since = since is null ? null : Time("--since", since, clock),
            Until = until is null ? null : Time("--until", until, clock),
            Level = least,
            Service = service,
            Grep = grep is null ? null : LogPattern.Parse(grep, ignoreCase),
        };
        if (query.Since > query.Until)
        {
            throw new UserException($"--since '{since}' is after --until '{until}': no line can be both. Swap them.");
        }
        return query;
    }

    /// <summary>A duration ago ("10m", "2h") or a time ("2026-11-21T10:00:00Z"; without an offset, UTC).</summary>
    private static DateTimeOffset Time(string option, string text, TimeProvider clock)
    {
        if (Durations.TryParseWindow(text, out var ago))
        {
            return clock.GetUtcNow() - ago;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return at;
        }
        throw new UserException($"{option} '{text}' is neither a duration like 10m or 2h nor a time like 2026-11-21T10:00:00Z.");
    }

    /// <summary>A --service filter names a service the app runs or ran in its recent deployments: a typo would
    /// otherwise show nothing, as if the service were quiet.</summary>
    private static void RequireService(Store store, string app, string service)
    {
        var known = store.ListDeployments(app, 20).Where(d => d.SpecJson is not null)
            .SelectMany(d => JsonSerializer.Deserialize<Manifests.AppSpec>(d.SpecJson!, Release.Json)?.Services.Select(s => s.Name) ?? [])
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (known.Contains(service, StringComparer.Ordinal))
        {
            return;
        }
        var owner = store.RefOf(app);
        if (known.Count == 0)
        {
            throw new UserException($"No service '{service}': {owner} has not been deployed yet, so it has no services.", 404);
        }
        var meant = AppErrors.Closest(service, known);
        throw new UserException($"No service '{service}' in {owner}.{(meant is null ? "" : $" Did you mean --service {meant}?")} " +
            $"Its services: {string.Join(", ", known)}.", 404);
    }

    /// <summary>Writes a log stream as NDJSON: what is stored, then (following) every new entry until
    /// <paramref name="isLast"/> says the stream is over or the client goes away. <paramref name="withLevels"/>: every
    /// entry carries its level ("l"), the stream's default filled in.</summary>
    private static async Task StreamAsync(HttpContext context, LogStore logs, string key, LogQuery query, int tail, bool follow, bool withLevels,
        Func<LogEntry, bool> isLast, Func<bool>? finished = null)
    {
        context.Response.ContentType = "application/x-ndjson";
        // A follower ends when its client goes away or the platform shuts down (never holding shutdown up).
        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var either = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var token = either.Token;
        using var following = CancellationTokenSource.CreateLinkedTokenSource(token);
        try
        {
            var live = follow ? logs.Subscribe(key, following.Token) : null;
            var stored = await SearchAsync(logs, key, query, tail, token);
            await WriteStreamAsync(context, stored, live, query, follow, withLevels, isLast, finished, token);
        }
        finally
        {
            // Cancelling (not just disposing) unregisters the follower from the log store.
            await following.CancelAsync();
        }
    }

    /// <summary>What a follower is sent while there is nothing to say (<see cref="ApiOptions.StreamKeepAlive"/>): an
    /// empty line, which is no NDJSON value, so readers skip it.</summary>
    internal const string KeepAlive = "\n";

    /// <summary>Quiet seconds after a deployment's row turned final before its follower stops waiting for the final entry.</summary>
    private const int QuietAfterFinished = 3;

    /// <summary>The most stored lines one request answers.</summary>
    internal const int MaxTail = 100_000;

    /// <summary>Searches running at once: each holds a core while it scans, and the edge shares this process's
    /// threads, so one user's searches must not starve the apps' traffic (found by the review).</summary>
    private static readonly SemaphoreSlim Searches = new(Math.Max(1, Environment.ProcessorCount / 2));

    /// <summary>The stored lines, before anything is written: an error in the search is still a 400 (and a search
    /// while others run, a 429).</summary>
    private static async Task<IReadOnlyList<LogEntry>> SearchAsync(LogStore logs, string key, LogQuery query, int tail, CancellationToken token)
    {
        if (!await Searches.WaitAsync(TimeSpan.FromSeconds(5), token))
        {
            throw new UserException("Other log searches are running on the platform now; try again in a few seconds, or narrow the search " +
                "with --since and --until.", 429);
        }
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(token);
        budget.CancelAfter(SearchBudget);
        try
        {
            return await Task.Run(() => logs.Read(key, query, tail, budget.Token), budget.Token);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            throw new UserException($"The search was stopped after {SearchBudget.TotalSeconds:0} s. Narrow it: --since and --until " +
                "skip whole parts of the log, and a plain word in --grep lets it skip lines without matching them.");
        }
        finally
        {
            Searches.Release();
        }
    }

    private static async Task WriteStreamAsync(HttpContext context, IReadOnlyList<LogEntry> stored, System.Threading.Channels.ChannelReader<LogEntry>? live,
        LogQuery query, bool follow, bool withLevels, Func<LogEntry, bool> isLast, Func<bool>? finished, CancellationToken token)
    {
        string Line(LogEntry e) => JsonSerializer.Serialize(withLevels ? e with { Level = e.EffectiveLevel } : e, LogJson.Default.LogEntry);
        // Only a follower needs what was sent (to skip a live line the stored part already had).
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in stored)
        {
            var line = Line(entry);
            if (follow)
            {
                seen.Add(line);
            }
            await context.Response.WriteAsync(line + "\n", token);
            if (follow && isLast(entry))
            {
                return;
            }
        }
        await context.Response.Body.FlushAsync(token);
        if (live is null)
        {
            return;
        }
        var quietSinceFinished = TimeSpan.Zero;
        // A quiet app must not look like a hung response to the edge (or another proxy) in front of the API: an empty
        // line now and then keeps the stream open, and NDJSON readers skip it (the CLI's, the dashboard's).
        var keepAlive = context.RequestServices.GetRequiredService<ApiOptions>().StreamKeepAlive;
        var step = keepAlive < TimeSpan.FromSeconds(1) ? keepAlive : TimeSpan.FromSeconds(1);
        var lastWrite = Environment.TickCount64;
        try
        {
            while (!token.IsCancellationRequested)
            {
                // Checked on every turn: lines the query filters out keep the reader busy but send nothing.
                if (Environment.TickCount64 - lastWrite >= (long)keepAlive.TotalMilliseconds)
                {
                    await context.Response.WriteAsync(KeepAlive, token);
                    await context.Response.Body.FlushAsync(token);
                    lastWrite = Environment.TickCount64;
                }
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(token);
                tick.CancelAfter(step);
                LogEntry entry;
                try
                {
                    entry = await live.ReadAsync(tick.Token);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    // Quiet for a second: check the stream is not over without a final entry we missed. The row's status
                    // is written a moment before the last lines (a failure's tail) and the final entry: only a few quiet
                    // seconds after it turned final end the stream.
                    if (finished?.Invoke() == true && (quietSinceFinished += step) >= TimeSpan.FromSeconds(QuietAfterFinished))
                    {
                        return;
                    }
                    continue;
                }
                bool matches;
                try
                {
                    matches = query.Matches(entry);
                }
                catch (UserException e)
                {
                    // Too late for a 400: the stream ends with an "error" entry, which the CLI reports and exits 1 on.
                    await context.Response.WriteAsync(JsonSerializer.Serialize(new LogEntry(entry.At, LogEntry.ErrorKind, e.Message), LogJson.Default.LogEntry) + "\n", token);
                    return;
                }
                if (!matches)
                {
                    continue;
                }
                var line = Line(entry);
                if (seen.Remove(line))
                {
                    continue; // already sent from the stored part
                }
                await context.Response.WriteAsync(line + "\n", token);
                await context.Response.Body.FlushAsync(token);
                lastWrite = Environment.TickCount64;
                if (isLast(entry))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }
}
