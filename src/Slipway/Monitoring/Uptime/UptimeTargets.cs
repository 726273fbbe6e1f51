using System.Collections.Concurrent;
using System.Text.Json;
using Slipway.Manifests;
using Slipway.State;

namespace Slipway.Monitoring.Uptime;

/// <summary>Turns the stored rows into the checks that run: user checks as added (settings defaulted), and one default
/// check per app environment with a live deployment, through the edge the way a user reaches it: GET
/// http://127.0.0.1:EDGEPORT{health path} with Host APP.localhost (its own name always routes to it and is never
/// redirected to HTTPS), the health path being the healthcheck path of its web service at "/" in the live release, else
/// "/". A stopped app keeps its check (its users see it down); a destroyed one loses it (<see cref="UptimeRows"/>).
/// A default check's row is made the first time it is seen, so it has a start (for availability) and can be changed.</summary>
internal sealed class UptimeTargets(Store store, UptimeStore checks, Edge.EdgeServer edge, UptimeOptions options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, string> _healthPaths = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public IReadOnlyList<UptimeCheck> Load()
    {
        // One at a time: two loads seeing a new app at once must not make it two default checks.
        lock (_gate)
        {
            return LoadNow();
        }
    }

    private List<UptimeCheck> LoadNow()
    {
        var apps = store.ListApps().ToDictionary(a => a.Name, StringComparer.Ordinal);
        var rows = checks.Checks();
        var defaults = rows.Where(r => r.CheckKind == UptimeCheckKind.Default).Select(r => r.App).ToHashSet(StringComparer.Ordinal);
        var added = false;
        foreach (var app in apps.Values.Where(a => a.LiveDeploymentId is not null && !defaults.Contains(a.Name)))
        {
            // The app's key names its check; a user check that took that name first leaves it "KEY-app".
            foreach (var name in new[] { app.Name, app.Name + "-app" })
            {
                if (checks.TryInsert(new UptimeCheckRecord(Ids.New("uc"), name, JsonSpellings.Of(UptimeCheckKind.Default), app.Name, null, null, null,
                    null, null, null, 0, clock.GetUtcNow())))
                {
                    added = true;
                    break;
                }
            }
        }
        if (added)
        {
            rows = checks.Checks();
        }
        var list = new List<UptimeCheck>();
        foreach (var row in rows)
        {
            var scope = row.App.Length == 0 ? null : apps.GetValueOrDefault(row.App);
            if (row.App.Length > 0 && scope is null)
            {
                continue; // destroyed a moment ago; its rows go with the destroy
            }
            if (row.CheckKind == UptimeCheckKind.Default)
            {
                if (scope?.LiveDeploymentId is not { } live)
                {
                    continue;
                }
                var path = row.Path ?? HealthPath(live);
                list.Add(Build(row, scope.Ref, $"http://{row.App}.localhost{path}", new Uri($"http://127.0.0.1:{edge.Port}{path}"), $"{row.App}.localhost"));
            }
            else
            {
                var url = new Uri(row.Url!, UriKind.Absolute);
                list.Add(Build(row, scope?.Ref, url.OriginalString, url, null));
            }
        }
        return list;
    }

    private UptimeCheck Build(UptimeCheckRecord row, AppRef? scope, string url, Uri target, string? host) => new(
        row.Id, row.Name, row.CheckKind, scope?.Key, scope, url, target, host,
        row.EveryMs is { } every ? TimeSpan.FromMilliseconds(every) : options.DefaultInterval,
        UptimeExpectation.Parse(row.Expect),
        row.TimeoutMs is { } timeout ? TimeSpan.FromMilliseconds(timeout) : UptimeCheck.DefaultTimeout,
        row.Slo ?? UptimeCheck.DefaultSlo,
        row.IsPaused,
        row.CreatedAt);

    /// <summary>The healthcheck path of the live release's web service at "/" (a static site: "/"); read once per deployment.</summary>
    private string HealthPath(string deploymentId) => _healthPaths.GetOrAdd(deploymentId, id =>
    {
        var json = store.FindDeployment(id)?.SpecJson;
        var spec = json is null ? null : JsonSerializer.Deserialize<AppSpec>(json, Deploy.Release.Json);
        var root = spec?.Services.FirstOrDefault(s => s.Type != ServiceType.Worker && s.Path == "/");
        return root is { Type: ServiceType.Web } web && web.Healthcheck.Path.StartsWith('/') ? web.Healthcheck.Path : "/";
    });
}
