using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Slipway.Config;
using Slipway.Deploy;
using Slipway.State;

namespace Slipway.Api;

/// <param name="Secret">Every variable of <paramref name="Set"/> is a secret.</param>
/// <param name="Create">Create the app (or environment) when it has no row yet: config before the first deploy. Without
/// it a name nobody deployed is a typo, answered with the nearest existing name.</param>
/// <param name="Secrets">Names of <paramref name="Set"/> that are secrets when not all are (the dashboard's form saves
/// plain and secret variables in one change, so in one release).</param>
internal sealed record ConfigChangeBody(IReadOnlyDictionary<string, string>? Set, IReadOnlyList<string>? Unset, bool Secret, bool Deploy = true, bool Shared = false,
    bool Create = false, IReadOnlyList<string>? Secrets = null);

/// <summary>The dashboard's reveal: the signed-in user's password again, and one variable's name (null: every secret).</summary>
internal sealed record ConfigRevealBody(string? Password, string? Name = null);

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
        v1.MapGet("", (string app, bool? reveal, Store store, ConfigVars config, HttpContext context) =>
        {
            Require(store, context, app);
            if (reveal == true)
            {
                AccessControl.DemandRevealByGet(context, AppScope.Of(context, app), "config.reveal");
            }
            return config.List(app).Select(e => new ConfigVarDto(e.Name, e.Secret && reveal != true ? Mask : e.Value, e.Secret, e.UpdatedAt, e.Shared));
        }).RequireAccess(Access.Permission.Read, "config.list");
        v1.MapGet("/diff", (string app, Store store, ConfigVars config, HttpContext context) =>
        {
            var record = Require(store, context, app);
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
                if (!has && before.Defaults?.Contains(name) == true)
                {
                    continue; // the manifest's default, which the next release gets as well
                }
                var change = !had ? "added" : !has ? "removed" : old != now || before.Secrets.Contains(name) != after.Secrets.Contains(name) ? "changed" : null;
                if (change is not null)
                {
                    diffs.Add(new ConfigDiffDto(name, change, secret, secret ? null : old, secret ? null : now));
                }
            }
            return diffs;
        }).RequireAccess(Access.Permission.Read, "config.diff");
        v1.MapGet("/{name}", (string app, string name, bool? reveal, Store store, ConfigVars config, HttpContext context) =>
        {
            Require(store, context, app);
            if (reveal == true)
            {
                AccessControl.DemandRevealByGet(context, AppScope.Of(context, app), "config.reveal");
            }
            var entry = config.List(app).FirstOrDefault(e => e.Name == name)
                ?? throw new UserException($"{app} has no config var {name}. 'slipway env ls --app {app}' lists them.", 404);
            return new ConfigVarDto(entry.Name, entry.Secret && reveal != true ? Mask : entry.Value, entry.Secret, entry.UpdatedAt);
        }).RequireAccess(Access.Permission.Read, "config.get");
        v1.MapPost("/reveal", (string app, ConfigRevealBody body, Store store, ConfigVars config, Access.AccessService access, HttpContext context) =>
        {
            Require(store, context, app);
            var me = AccessControl.Caller(context);
            AccessControl.AuditDetail(context, body.Name is { } one ? "reveal:" + one : "reveal: every secret");
            if (me.Kind != Access.PrincipalKind.User)
            {
                throw new UserException($"Revealing here asks for a signed-in user's password, and {me.Name} has none. " +
                    $"Use the CLI: slipway env get NAME {AppScope.Of(context, app).Flags} --reveal (or env pull --reveal).");
            }
            if (access.Reconfirm(me, body.Password ?? "", context.Connection.RemoteIpAddress?.ToString() ?? me.Name) is { } refused)
            {
                if (refused.RetryAfter is { } wait)
                {
                    context.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                throw new UserException(refused.Refusal!, refused.Status);
            }
            var entries = config.List(app).Where(e => body.Name is null ? e.Secret : e.Name == body.Name).ToList();
            if (body.Name is { } name && entries.Count == 0)
            {
                throw new UserException($"{app} has no config var {name}. 'slipway env ls {AppScope.Of(context, app).Flags}' lists them.", 404);
            }
            return entries.Select(e => new ConfigVarDto(e.Name, e.Value, e.Secret, e.UpdatedAt, e.Shared)).ToList();
        }).RequireAccess(Access.Permission.RevealSecrets, "config.reveal");
        v1.MapPost("", (string app, ConfigChangeBody body, Store store, ConfigVars config, DeployEngine engine, HttpContext context) =>
        {
            var scope = AppScope.Of(context, app);
            if (body.Shared)
            {
                // Shared variables reach every environment: changing them needs the right in each.
                foreach (var environment in store.ListEnvironments(scope.App))
                {
                    AccessControl.Demand(context, Access.Permission.SetConfig, environment.Ref, "config.set");
                }
            }
            AccessControl.AuditDetail(context, string.Join(" ", (body.Set?.Keys ?? []).Order(StringComparer.Ordinal).Select(n => "set:" + n)
                .Concat((body.Unset ?? []).Order(StringComparer.Ordinal).Select(n => "unset:" + n))) + (body.Shared ? " (shared)" : ""));
            if (store.FindApp(app) is null)
            {
                // A typo must not create an app. A shared change needs the app, not this environment.
                var appExists = store.ListEnvironments(scope.App).Count > 0;
                if (body.Create)
                {
                    // Created only with a change that will be saved: a refused one leaves nothing behind.
                    config.Check(scope, body.Set ?? new Dictionary<string, string>(), SecretsOf(body), body.Unset ?? [], body.Shared);
                    store.EnsureApp(scope);
                }
                else if (!(body.Shared && appExists))
                {
                    throw AppErrors.NoApp(store, scope, appExists
                        ? $"To set its config before its first deploy, add --create: slipway env set {scope.Flags} --create NAME=value"
                        : $"To set config before the first deploy (secrets its first health check needs), add --create: slipway env set {scope.Flags} --create NAME=value");
                }
            }
            var changed = config.Change(scope, body.Set ?? new Dictionary<string, string>(), SecretsOf(body), body.Unset ?? [], body.Shared);
            // A shared change releases every environment that is live; an environment's own, just that one.
            var targets = body.Shared ? store.ListEnvironments(scope.App).Select(e => e.Name).ToList() : [app];
            DeploymentDto? first = null;
            foreach (var target in targets.Where(t => store.FindApp(t)?.LiveDeploymentId is not null))
            {
                if (changed && body.Deploy)
                {
                    var released = AppViews.Deployment(engine.ApplyConfig(target, AccessControl.Caller(context).Name));
                    if (target == app || first is null)
                    {
                        first = released; // the CLI follows the environment it named
                    }
                }
            }
            return new ConfigChangeDto(changed, first);
        }).RequireAccess(Access.Permission.SetConfig, "config.set");
    }

    /// <summary>Which names of the change's Set are secrets: all with Secret, else those listed in Secrets.</summary>
    private static Func<string, bool> SecretsOf(ConfigChangeBody body)
    {
        if (body.Secret)
        {
            return _ => true;
        }
        var names = (body.Secrets ?? []).ToHashSet(StringComparer.Ordinal);
        return names.Contains;
    }

    private static AppRecord Require(Store store, HttpContext context, string app) =>
        store.FindApp(app) ?? throw AppErrors.NoApp(store, AppScope.Of(context, app));
}

internal static class KeyEndpoints
{
    public static void MapKeyApi(this IEndpointRouteBuilder api) =>
        api.MapPost("/v1/keys/rotate", async (Store store, ConfigVars config, AppLocks locks) =>
        {
            using (await locks.HoldAllAsync(store.ListApps().Select(a => a.Name), CancellationToken.None))
            {
                return new KeyRotatedDto(config.RotateKey());
            }
        }).RequireAccess(Access.Permission.ManagePlatform, "keys.rotate");
}
