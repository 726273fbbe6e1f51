namespace Slipway.Dashboard;

/// <summary>The main navigation, in order. A page still to come is listed without a link, so the header keeps its
/// shape as pages arrive: the helper who adds the page sets its path here.</summary>
internal static class DashboardNav
{
    public static readonly IReadOnlyList<NavItem> Items =
    [
        new("Overview", "/"),
        new("Databases", "/databases"),
        new("Crons", "/crons"),
        new("Messages", "/messages"),
        new("Metrics", "/metrics/apps"),
        new("Alerts", "/alerts"),
        new("Team", "/team", AdminsOnly: true),
    ];

    /// <summary>The entries the signed-in caller of <paramref name="chrome"/> may open.</summary>
    public static IEnumerable<NavItem> For(Chrome chrome) => Items.Where(i => !i.AdminsOnly || chrome.Admin);

    /// <summary>Whether <paramref name="me"/> is admin or owner anywhere: who sees the admins-only entries.</summary>
    public static bool IsAdmin(Access.Principal me) => me.Grants.Any(g => g.Role >= Access.Role.Admin);

    /// <summary>Whether <paramref name="item"/> is the current page's entry (an app's page belongs to the overview).</summary>
    public static bool IsCurrent(NavItem item, string path) =>
        item.Href == "/" ? path == "/" || path.StartsWith("/apps/", StringComparison.Ordinal) : item.Href is { } href && path.StartsWith(href, StringComparison.Ordinal);
}
