using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Slipway.Config;
using Slipway.Deploy;
using Slipway.State;

namespace Slipway.Api;

internal sealed record ConfigChangeBody(IReadOnlyDictionary<string, string>? Set, IReadOnlyList<string>? Unset, bool Secret, bool Deploy = true, bool Shared = false);

internal sealed record ConfigVarDto(string Name, string Value, bool Secret, string UpdatedAt, bool Shared = false);

internal sealed record ConfigChangeDto(bool Changed, DeploymentDto? Deployment);

/// <summary>One difference between the saved config and the live deployment's. Values of secrets are never
/// included, only that they changed.</summary>
internal sealed record ConfigDiffDto(string Name, string Change, bool Secret, string? Live, string? Next);

/// <summary>Config vars. Secrets leave the platform only through GET .../config/{name}?reveal=true.</summary>
internal static class ConfigEndpoints
{
    public const string Mask = "********";

    public static void MapConfigApi(this IEndpointRouteBuilder api)
    {
        var v1 = api.MapGroup("/v1/apps/{app}/config");
        v1.MapGet("", (string app, bool? reveal, Store store, ConfigVars config) =>
        {
            AppErrors.Require(store, app);
            return config.List(app).Select(e => new ConfigVarDto(e.Name, e.Secret && reveal != true ? Mask : e.Value, e.Secret, e.UpdatedAt, e.Shared));
        });
        v1.MapGet("/diff", (string app, Store store, ConfigVars config) =>
        {
            var record = AppErrors.Require(store, app);
            var live = record.LiveDeploymentId is { } id ? store.FindDeployment(id) : null;
            var before = config.Open(app, live?.ConfigJson);
            var after = config.Snapshot(app);
            var names = before.Vars.Keys.Union(after.Vars.Keys).Order(StringComparer.Ordinal);
            var diffs = new List<ConfigDiffDto>();
            foreach (var name in names)
            {
                var secret = before.Secrets.Contains(name) || after.Secrets.Contains(name);
                var had = before.Vars.TryGetValue(name, out var old);
                var has = after.Vars.TryGetValue(name, out var now);
                var change = !had ? "added" : !has ? "removed" : old != now || before.Secrets.Contains(name) != after.Secrets.Contains(name) ? "changed" : null;
                if (change is not null)
                {
                    diffs.Add(new ConfigDiffDto(name, change, secret, secret ? null : old, secret ? null : now));
                }
            }
            return diffs;
        });
        v1.MapGet("/{name}", (string app, string name, bool? reveal, Store store, ConfigVars config) =>
        {
            AppErrors.Require(store, app);
            var entry = config.List(app).FirstOrDefault(e => e.Name == name)
                ?? throw new UserException($"{app} has no config var {name}. 'slipway env ls --app {app}' lists them.", 404);
            return new ConfigVarDto(entry.Name, entry.Secret && reveal != true ? Mask : entry.Value, entry.Secret, entry.UpdatedAt);
        });
        v1.MapPost("", (string app, ConfigChangeBody body, Store store, ConfigVars config, DeployEngine engine, HttpContext context) =>
        {
            var scope = AppScope.Of(context, app);
            store.EnsureApp(scope);
            var changed = config.Change(app, body.Set ?? new Dictionary<string, string>(), body.Secret, body.Unset ?? [], body.Shared);
            // A shared change releases every environment that is live; an environment's own, just that one.
            var targets = body.Shared ? store.ListEnvironments(scope.App).Select(e => e.Name).ToList() : [app];
            DeploymentDto? first = null;
            foreach (var target in targets.Where(t => store.FindApp(t)?.LiveDeploymentId is not null))
            {
                if (changed && body.Deploy)
                {
                    var released = AppViews.Deployment(engine.ApplyConfig(target));
                    if (target == app || first is null)
                    {
                        first = released; // the CLI follows the environment it named
                    }
                }
            }
            return new ConfigChangeDto(changed, first);
        });
    }
}

internal static class KeyEndpoints
{
    public static void MapKeyApi(this IEndpointRouteBuilder api) =>
        api.MapPost("/v1/keys/rotate", async (Store store, ConfigVars config, AppLocks locks) =>
        {
            using (await locks.HoldAllAsync(store.ListApps().Select(a => a.Name), CancellationToken.None))
            {
                return new { keyId = config.RotateKey() };
            }
        });
}
