using Slipway.Deploy;
using Slipway.Manifests;
using Slipway.State;
using Slipway.Runtime;

namespace Slipway.Jobs;

/// <summary>Where a cron job or a message reaches the app: a healthy instance of a web service of the app's
/// serving set (the live release), over loopback. Jobs call the service directly rather than through the
/// edge, so the app's hostnames, rewrites and redirects do not apply; the service is the one named, or the
/// web service whose path prefix matches (the edge's rule).</summary>
internal sealed class AppTargets(AppRuntime runtime, Store store)
{
    /// <summary>The live release of <paramref name="app"/>, or null when it has no running instances.</summary>
    public Release? Live(string app) => runtime.Serving(app)?.Release;

    public ServingSet? Serving(string app) => runtime.Serving(app);

    /// <summary>The URL of <paramref name="path"/> on a healthy instance, or why there is none.</summary>
    public (Uri? Url, string? Problem) Resolve(string app, string? service, string path) => Resolve(app, service, path, out _);

    /// <param name="temporary">True when the problem is the app not serving right now (stopped, starting,
    /// restarting): it will pass without anything being changed.</param>
    public (Uri? Url, string? Problem) Resolve(string app, string? service, string path, out bool temporary)
    {
        temporary = true;
        var set = runtime.Serving(app);
        if (set is null)
        {
            return (null, "the app has no running release (stopped, or not deployed)");
        }
        var spec = service is null
            ? set.Release.Spec.Services.Where(s => s.Type == ServiceType.Web && Matches(s.Path, path)).OrderByDescending(s => s.Path.Length).FirstOrDefault()
            : set.Release.Spec.Services.FirstOrDefault(s => s.Name == service);
        if (spec is null || spec.Type != ServiceType.Web)
        {
            temporary = false;
            return (null, service is null ? $"no web service of the live release answers {path}" : $"the live release has no web service \"{service}\"");
        }
        var healthy = set.Instances.Where(i => i.Spec.Service.Name == spec.Name && i.Endpoint.Healthy).ToList();
        if (healthy.Count == 0)
        {
            return (null, $"no instance of {spec.Name} is healthy");
        }
        var endpoint = healthy[Random.Shared.Next(healthy.Count)].Endpoint;
        var url = new Uri(endpoint.BaseUri, path);
        if (!AppPaths.IsLocalPath(path) || url.Authority != endpoint.BaseUri.Authority)
        {
            // "//host/x" (or "/\host/x") resolves against the instance's URL to another host: never follow it.
            temporary = false;
            return (null, $"{path} is not a path on the app (it names another host)");
        }
        return (url, null);
    }


    /// <summary>Waits (up to <paramref name="timeout"/>) until a healthy instance can take the request: after a
    /// platform restart a job may be due before the app's instances have passed their health checks.</summary>
    public async Task<(Uri? Url, string? Problem)> ResolveWhenReadyAsync(string app, string? service, string path, TimeSpan timeout,
        TimeProvider clock, CancellationToken token)
    {
        var deadline = clock.GetUtcNow() + timeout;
        while (true)
        {
            var (url, problem) = Resolve(app, service, path, out var temporary);
            // Only an app that should be running is worth waiting for.
            if (url is not null || !temporary || store.FindApp(app)?.DesiredState != "running" || clock.GetUtcNow() >= deadline)
            {
                return (url, problem);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), clock, token);
        }
    }

    private static bool Matches(string prefix, string path) =>
        prefix == "/" || path == prefix.TrimEnd('/') || path.StartsWith(prefix.TrimEnd('/') + "/", StringComparison.Ordinal);

}
