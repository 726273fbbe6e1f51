namespace Slipway.Api;

/// <summary>Marks an endpoint as a page of the dashboard (Dashboard/, above this layer): a browser that is not signed
/// in is sent to the login page with the path to come back to, where an API client gets its 401. Only GET and HEAD
/// are pages; everything a page does goes through the JSON API, whose answers stay as they are.</summary>
internal sealed record DashboardPage
{
    public const string LoginPath = "/login";

    /// <summary>Where an anonymous GET of <paramref name="path"/> (with its query) goes instead of a 401.</summary>
    public static string LoginFor(string path) => LoginPath + "?next=" + Uri.EscapeDataString(path);
}
