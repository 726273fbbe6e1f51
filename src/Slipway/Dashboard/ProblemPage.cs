using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Access;
using Slipway.Api;

namespace Slipway.Dashboard;

/// <summary>Writes a dashboard page that failed (a refusal of AccessControl, a user error of the page's endpoint) as a
/// page (ErrorPage) with the same status and reason the API would answer, instead of ProblemDetails shown as text.</summary>
internal sealed class ProblemPage(DashboardAssets assets, ApiOptions options) : IProblemPage
{
    public Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        // Written before the endpoint ran (a refusal) or after it threw: the pages' policy is set here either way.
        context.Response.Headers.ContentSecurityPolicy = DashboardEndpoints.ContentSecurityPolicy;
        var me = AccessControl.PrincipalOf(context);
        var chrome = new Chrome(options.PlatformHost, me?.Name ?? "", AccessControl.CsrfOf(context) ?? "", context.Request.Path.Value ?? "/", assets.Links,
            me is not null && DashboardNav.IsAdmin(me));
        return new RazorComponentResult<ErrorPage>(new { Chrome = chrome, Status = status, Title = title, Detail = detail }) { StatusCode = status }
            .ExecuteAsync(context);
    }
}
