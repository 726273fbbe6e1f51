using Slipway.State;

namespace Slipway.Deploy;

internal static class AppErrors
{
    /// <summary>No row for <paramref name="target"/>: says which existing app or environment was probably meant.
    /// <paramref name="create"/> is how this command would create it (default: a deploy).</summary>
    public static UserException NoApp(Store store, AppRef target, string? create = null)
    {
        var rows = store.ListApps();
        var environments = rows.Where(r => r.App == target.App).Select(r => r.Env).Order(StringComparer.Ordinal).ToList();
        if (environments.Count > 0)
        {
            var meant = Closest(target.Env, environments);
            return new($"{target.App} has no environment '{target.Env}'.{(meant is null ? "" : $" Did you mean --env {meant}?")} " +
                $"Its environments: {string.Join(", ", environments)}. {create ?? $"'slipway deploy DIR {target.Flags}' creates it."}", 404);
        }
        var closest = Closest(target.App, rows.Select(r => r.App).Distinct());
        return new($"No app named '{target.App}'.{(closest is null ? "" : $" Did you mean '{closest}'?")} 'slipway apps' lists the apps. " +
            (create ?? $"'slipway deploy DIR {target.Flags}' creates it."), 404);
    }

    /// <summary>The row of <paramref name="target"/> (the request's own app and environment, so a missing one is
    /// named as the user typed it, never by its internal row key), or the user error with a did-you-mean.
    /// A row whose key matches but which belongs to another app ("shop" env "api" vs the app "shop-api") is not it.</summary>
    public static AppRecord Require(Store store, AppRef target, string? create = null) =>
        store.FindApp(target.Key) is { } row && row.Ref == target ? row : throw NoApp(store, target, create);

    /// <summary>The name nearest to <paramref name="typed"/> if it is near enough to be a typo (the manifest's
    /// did-you-mean rule: a swap of two neighbours counts as one edit); ties go to the first name in order.</summary>
    public static string? Closest(string typed, IEnumerable<string> names) =>
        Manifests.Suggestions.Closest(typed, names.Order(StringComparer.Ordinal));
}
