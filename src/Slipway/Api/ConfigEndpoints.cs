using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Slipway.Config;
using Slipway.Deploy;
using Slipway.State;

namespace Slipway.Api;

internal sealed record ConfigChangeBody(IReadOnlyDictionary<string, string>? Set, IReadOnlyList<string>? Unset, bool Secret, bool Deploy = true);

internal sealed record ConfigVarDto(string Name, string Value, bool Secret, string UpdatedAt);

internal sealed record ConfigChangeDto(bool Changed, DeploymentDto? Deployment);

/// <summary>Config vars. Secrets leave the platform only through GET .../config/{name}?reveal=true.</summary>
internal static class ConfigEndpoints
{
    public const string Mask = "********";

    public static void MapConfigApi(this IEndpointRouteBuilder api)
    {
        var v1 = api.MapGroup("/v1/apps/{app}/config");
        v1.MapGet("", (string app, Store store, ConfigVars config) =>
        {
            AppErrors.Require(store, app);
            return config.List(app).Select(e => new ConfigVarDto(e.Name, e.Secret ? Mask : e.Value, e.Secret, e.UpdatedAt));
        });
        v1.MapGet("/{name}", (string app, string name, bool? reveal, Store store, ConfigVars config) =>
        {
            AppErrors.Require(store, app);
            var entry = config.List(app).FirstOrDefault(e => e.Name == name)
                ?? throw new UserException($"{app} has no config var {name}. 'slipway env ls --app {app}' lists them.", 404);
            return new ConfigVarDto(entry.Name, entry.Secret && reveal != true ? Mask : entry.Value, entry.Secret, entry.UpdatedAt);
        });
        v1.MapPost("", (string app, ConfigChangeBody body, Store store, ConfigVars config, DeployEngine engine) =>
        {
            AppNames.Validate(app);
            store.EnsureApp(app);
            var changed = config.Change(app, body.Set ?? new Dictionary<string, string>(), body.Secret, body.Unset ?? []);
            var live = store.FindApp(app)?.LiveDeploymentId is not null;
            var deployment = changed && body.Deploy && live ? AppViews.Deployment(engine.ApplyConfig(app)) : null;
            return new ConfigChangeDto(changed, deployment);
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
