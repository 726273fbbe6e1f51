using Microsoft.AspNetCore.Http;

namespace Slipway.Api;

/// <summary>Marks an endpoint as a page of the dashboard (Dashboard/, above this layer): a browser that is not signed
/// in is sent to the login page with the path to come back to, where an API client gets its 401. Only GET and HEAD
/// are pages; everything a page does goes through the JSON API, whose answers stay as they are. A page that fails (a
/// 403, an app that is gone) answers a page saying so, written by the dashboard's <see cref="IProblemPage"/>.</summary>
internal sealed record DashboardPage
{
    public const string LoginPath = "/login";

    /// <summary>Where an anonymous GET of <paramref name="path"/> (with its query) goes instead of a 401.</summary>
    public static string LoginFor(string path) => LoginPath + "?next=" + Uri.EscapeDataString(path);

    /// <summary>When the request is a dashboard page (a GET or HEAD of an endpoint marked <see cref="DashboardPage"/>)
    /// and the dashboard is there, writes the failure as a page a person reads instead of ProblemDetails.</summary>
    public static async Task<bool> TryWriteProblemAsync(HttpContext context, int status, string title, string detail)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<DashboardPage>() is null
            || !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
            || context.RequestServices.GetService(typeof(IProblemPage)) is not IProblemPage page)
        {
            return false;
        }
        await page.WriteAsync(context, status, title, detail);
        return true;
    }
}

/// <summary>Writes a failed page (the dashboard, above this layer, registers itself).</summary>
internal interface IProblemPage
{
    Task WriteAsync(HttpContext context, int status, string title, string detail);
}
