using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Slipway.Deploy;

namespace Slipway.Api;

/// <summary>Which app and environment a request is about. Every /v1/apps/{app}/... endpoint takes ?env=NAME
/// (default production); this middleware turns {app} into the environment's row name before the endpoint
/// runs, so endpoints stay environment-blind.</summary>
internal sealed record AppScope(string Key, string App, string Env)
{
    private const string ItemKey = "slipway.scope";

    public static void UseAppScopes(WebApplication app) => app.Use(async (context, next) =>
    {
        if (context.Request.RouteValues.TryGetValue("app", out var value) && value is string name)
        {
            var env = context.Request.Query["env"].FirstOrDefault() ?? AppEnvironments.Production;
            var key = AppEnvironments.Key(name, env);
            AppNames.Validate(name);
            context.Request.RouteValues["app"] = key;
            context.Items[ItemKey] = new AppScope(key, name, env);
        }
        await next(context);
    });

    public static AppScope Of(HttpContext context, string key) =>
        context.Items.TryGetValue(ItemKey, out var scope) && scope is AppScope s ? s : new AppScope(key, key, AppEnvironments.Production);
}
