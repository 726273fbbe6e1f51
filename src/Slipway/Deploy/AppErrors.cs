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
    /// named as the user typed it, never by its internal row key), or the user error with a did-you-mean.</summary>
    public static AppRecord Require(Store store, AppRef target, string? create = null) => store.FindApp(target.Key) ?? throw NoApp(store, target, create);

    /// <summary>The name nearest to <paramref name="typed"/> by edit distance (a swap of two neighbours counts
    /// as one edit), if it is near enough to be a typo: at most a third of the name's length, at least one.</summary>
    public static string? Closest(string typed, IEnumerable<string> names)
    {
        var limit = Math.Max(1, Math.Min(3, typed.Length / 3));
        return names.Select(name => (Name: name, Distance: Distance(typed, name)))
            .Where(c => c.Distance <= limit)
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => c.Name).FirstOrDefault();
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }
}
