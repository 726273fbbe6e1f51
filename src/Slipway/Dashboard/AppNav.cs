namespace Slipway.Dashboard;

/// <summary>The tabs of an app environment's pages, in order, each a path under /apps/APP (the environment's ?env=
/// follows). A page still to come is listed without a link, like <see cref="DashboardNav"/>: the helper who adds the
/// page sets its suffix here.</summary>
internal static class AppNav
{
    public static readonly IReadOnlyList<AppTab> Tabs =
    [
        new("Deployments", ""),
        new("Logs", "/logs"),
        new("Config", "/config"),
        new("Metrics", "/metrics"),
        new("Errors", "/errors"),
        new("Domains", "/domains"),
        new("Previews", "/previews"),
    ];
}
