using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Slipway.Access;
using Slipway.Monitoring.Alerts.Channels;

namespace Slipway.Api;

/// <param name="Webhook">A generic webhook's URL; <paramref name="Slack"/>, <paramref name="Discord"/> their incoming
/// webhooks' (every URL is a secret: sealed at rest, never echoed).</param>
/// <param name="Email">Recipients, separated by commas; with <paramref name="Smtp"/> (smtp:// or smtps://[USER@]HOST:PORT).</param>
/// <param name="Secret">A webhook's signing secret (generated when absent).</param>
/// <param name="SmtpPassword">The SMTP user's password.</param>
/// <param name="Severity">"warning" (all, the default) or "critical".</param>
/// <param name="Apps">App names whose alerts the channel takes; empty: every app's and the platform's.</param>
internal sealed record ChannelAddBody(string? Name, string? Webhook, string? Slack, string? Discord, string? Email, string? Smtp, string? From,
    string? Secret, string? SmtpPassword, string? Severity, IReadOnlyList<string>? Apps);

/// <summary>/v1/alerts/channels: alert channels are platform-wide (a channel receives every app's alerts its filters
/// let through, and holds credentials), so adding, removing and testing need manage-alerts on the whole platform;
/// listing needs a platform-wide read. Audit lines name the channel and its masked destination, never a URL or secret.</summary>
internal static class ChannelEndpoints
{
    public static void MapChannelsApi(this IEndpointRouteBuilder api)
    {
        var channels = api.MapGroup("/v1/alerts/channels");
        channels.MapGet("", (AlertChannels alerts) => alerts.List().ToList()).RequireAccess(Permission.Read, "channels.list");
        channels.MapPost("", (ChannelAddBody body, AlertChannels alerts, AlertChannelsOptions options, HttpContext context) =>
        {
            var spec = ChannelSpec.Parse(body.Name, body.Webhook, body.Slack, body.Discord, body.Email, body.Smtp, body.From, body.Secret, body.SmtpPassword,
                body.Severity, body.Apps, options.PlatformHost);
            AccessControl.AuditDetail(context, $"{spec.Name} {JsonSpellings.Of(spec.Kind)} {spec.Destination}");
            return alerts.Add(spec);
        }).RequireAccess(Permission.ManageAlerts, "channels.add");
        channels.MapDelete("/{name}", (string name, AlertChannels alerts, HttpContext context) =>
        {
            AccessControl.AuditDetail(context, name);
            return alerts.Remove(name);
        }).RequireAccess(Permission.ManageAlerts, "channels.remove");
        channels.MapPost("/{name}/test", (string name, AlertChannels alerts, HttpContext context) =>
        {
            AccessControl.AuditDetail(context, name);
            return alerts.TestAsync(name, context.RequestAborted);
        }).RequireAccess(Permission.ManageAlerts, "channels.test");
    }
}
