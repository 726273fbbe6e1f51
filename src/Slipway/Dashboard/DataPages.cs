using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Access;
using Slipway.Api;
using Slipway.State;

using static Slipway.Dashboard.DashboardEndpoints;

namespace Slipway.Dashboard;

/// <summary>The data pages of the main navigation: Databases, Crons (and each job's runs) and Messages. Lists filtered
/// by the caller's grants are RequireSignedIn, as the overview; a job's page is under its app environment's read
/// access, as `GET /v1/apps/APP/crons/NAME/runs` is. Every button on them is a request to that JSON API.
///
///   GET /databases                      every database, its backups   GET /databases/content        its content
///   GET /crons                          every cron job                GET /crons/content            its content
///   GET /crons/{app}/{name}[?env=E]     a job's runs and their output GET /crons/{app}/{name}/content
///   GET /messages                       pending and dead messages     GET /messages/content         its content
/// </summary>
internal static class DataPages
{
    public static IServiceCollection AddDataPages(this IServiceCollection services) =>
        services.AddSingleton<DatabasesData>().AddSingleton<CronsData>().AddSingleton<MessagesData>();

    public static void MapDataPages(this RouteGroupBuilder pages)
    {
        pages.MapGet("/databases", async (DatabasesData data, DashboardAssets assets, ApiOptions options, HttpContext context) =>
            Page<DatabasesPage>(new { Chrome = ChromeOf(context, assets, options), View = await data.ListAsync(AccessControl.Caller(context), context.RequestAborted) }))
            .RequireSignedIn("dashboard.databases").WithMetadata(new DashboardPage());
        pages.MapGet("/databases/content", async (DatabasesData data, HttpContext context) =>
            Page<DatabasesContent>(new { View = await data.ListAsync(AccessControl.Caller(context), context.RequestAborted) }))
            .RequireSignedIn("dashboard.databases");

        pages.MapGet("/crons", (CronsData data, DashboardAssets assets, ApiOptions options, HttpContext context) =>
            Page<CronsPage>(new { Chrome = ChromeOf(context, assets, options), View = data.List(AccessControl.Caller(context)) }))
            .RequireSignedIn("dashboard.crons").WithMetadata(new DashboardPage());
        pages.MapGet("/crons/content", (CronsData data, HttpContext context) =>
            Page<CronsContent>(new { View = data.List(AccessControl.Caller(context)) }))
            .RequireSignedIn("dashboard.crons");
        pages.MapGet("/crons/{app}/{name}", (string app, string name, Store store, CronsData data, DashboardAssets assets, ApiOptions options, HttpContext context) =>
            Page<CronPage>(new { Chrome = ChromeOf(context, assets, options), View = Job(context, store, data, app, name) }))
            .RequireAccess(Permission.Read, "dashboard.cron").WithMetadata(new DashboardPage());
        pages.MapGet("/crons/{app}/{name}/content", (string app, string name, Store store, CronsData data, HttpContext context) =>
            Page<CronContent>(new { View = Job(context, store, data, app, name) }))
            .RequireAccess(Permission.Read, "dashboard.cron");

        pages.MapGet("/messages", (MessagesData data, DashboardAssets assets, ApiOptions options, HttpContext context) =>
            Page<MessagesPage>(new { Chrome = ChromeOf(context, assets, options), View = data.List(AccessControl.Caller(context)) }))
            .RequireSignedIn("dashboard.messages").WithMetadata(new DashboardPage());
        pages.MapGet("/messages/content", (MessagesData data, HttpContext context) =>
            Page<MessagesContent>(new { View = data.List(AccessControl.Caller(context)) }))
            .RequireSignedIn("dashboard.messages");
    }

    /// <summary>An element id made of names (ids keep keyboard focus across htmx's morphs): letters, digits and - only.</summary>
    public static string IdOf(params string[] parts) =>
        string.Join("--", parts.Select(p => new string(p.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray())));

    /// <summary>The badge class of a backup's, run's or message's state (the state itself is the badge's word).</summary>
    public static string Badge(string status) => status switch
    {
        "verified" or "succeeded" or "delivered" => "good",
        "failed" or "timed-out" or "dead" or "interrupted" => "bad",
        "skipped" => "idle",
        _ => "busy",
    };


    /// <summary>Bytes as `slipway db backups` prints them; empty when not measured.</summary>
    public static string Size(long? bytes) => bytes switch
    {
        null => "",
        < 1024 * 1024 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} kB"),
        < 1024L * 1024 * 1024 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1024.0 / 1024:0.0} MB"),
        _ => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1024.0 / 1024 / 1024:0.00} GB"),
    };

    private static CronPageView Job(HttpContext context, Store store, CronsData data, string app, string name)
    {
        var record = AppScope.Require(context, store, app);
        return data.Job(AccessControl.Caller(context), record, name)
            ?? throw new UserException($"{record.Ref} has no cron job '{name}' in its live deployment, and none by that name ever ran. The Crons page lists them.", 404);
    }
}
