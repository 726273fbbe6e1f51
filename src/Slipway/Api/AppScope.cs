using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Deploy;

namespace Slipway.Api;

/// <summary>Which app and environment a request is about. Every /v1/apps/{app}/... endpoint takes ?env=NAME
/// (default production); this middleware turns {app} into the environment's key before the endpoint runs, so
/// endpoints that only need the key stay environment-blind, and keeps the whole <see cref="AppRef"/> for those
/// that need more.</summary>
internal static class AppScope
{
    private const string ItemKey = "slipway.scope";

    public static void UseAppScopes(WebApplication app) => app.Use(async (context, next) =>
    {
        if (context.Request.RouteValues.TryGetValue("app", out var value) && value is string name)
        {
            var target = AppRef.Of(name, context.Request.Query["env"].FirstOrDefault());
            AppNames.Validate(name);
            // Row keys join app and environment with "-": shop's "api" environment and an app named "shop-api" would
            // share one. A row that is another app's is never this request's (found by the access review: an admin of
            // shop reached shop-api through ?env=api).
            var store = context.RequestServices.GetRequiredService<State.Store>();
            if (store.FindApp(target.Key) is { } row && row.Ref != target)
            {
                throw new UserException(row.Ref.IsProduction
                    ? $"{target.Key} is an app of its own, not the {target.Env} environment of {target.App}. Use --app {row.App}."
                    : $"{target.Key} is the {row.Env} environment of app {row.App}. Use {row.Ref.Flags}.", 404);
            }
            context.Request.RouteValues["app"] = target.Key;
            context.Items[ItemKey] = target;
        }
        await next(context);
    });

    /// <summary>The app environment of this request, whose key is <paramref name="key"/>.</summary>
    public static AppRef Of(HttpContext context, string key) =>
        context.Items.TryGetValue(ItemKey, out var scope) && scope is AppRef target ? target : AppRef.Of(key);

    /// <summary>The row of this request's app environment, or the user error that names it as the user did (with
    /// a did-you-mean), never by its row key.</summary>
    public static State.AppRecord Require(HttpContext context, State.Store store, string key) => AppErrors.Require(store, Of(context, key));
}
