using System.Text.Json;
using Slipway.Access;
using Slipway.Api;
using Slipway.Config;
using Slipway.Deploy;
using Slipway.Manifests;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Dashboard;

/// <summary>Builds the Logs and Config tabs from what GET /v1/apps/APP/logs and /v1/apps/APP/config read (the store's
/// deployments and their specs, <see cref="ConfigVars"/>), with the actions the caller may take. A secret's value never
/// reaches a page: the mask does, as `env ls` shows it.</summary>
internal sealed class LogsConfigData(Store store, ConfigVars config, DashboardData dashboard)
{
    /// <summary>The deployments whose services the service filter offers: as many as the logs API accepts a
    /// --service of (LogEndpoints), so every choice is one it takes.</summary>
    private const int RecentDeployments = 20;

    public LogsView Logs(Principal me, AppRecord app, string? service, string? level, string? grep)
    {
        var services = Specs(app, RecentDeployments).SelectMany(s => s.Services.Select(v => v.Name))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new LogsView(dashboard.App(me, app).App, services, Enum.GetValues<LogSeverity>().Select(l => JsonSpellings.Of(l)).ToList(),
            ApiPath(app.Ref, "/logs"), service is { Length: > 0 } ? service : null, level is { Length: > 0 } ? level : null, grep is { Length: > 0 } ? grep : null);
    }

    public ConfigView Config(Principal me, AppRecord app)
    {
        // What the live release declares (its slipway.json); a variable it does not declare has no type to show.
        var declared = (app.LiveDeploymentId is { } id && store.FindDeployment(id) is { SpecJson: not null } live ? Spec(live.SpecJson) : null)?.Variables ?? [];
        var byName = declared.ToDictionary(v => v.Name, StringComparer.Ordinal);
        var vars = config.List(app.Name)
            .Select(e => new ConfigVarRow(e.Name, e.Secret ? ConfigEndpoints.Mask : e.Value, e.Secret, e.Shared, e.UpdatedAt,
                byName.TryGetValue(e.Name, out var v) ? Describe(v) : null, byName.GetValueOrDefault(e.Name)?.Description))
            .ToList();
        var set = vars.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        var unset = declared.Where(v => !set.Contains(v.Name))
            .Select(v => new DeclaredVarRow(v.Name, Describe(v),
                v.Required && v.Default is null && (v.Environments.Count == 0 || v.Environments.Contains(app.Ref.Env)),
                v.Secret && v.Default is not null ? ConfigEndpoints.Mask : v.Default, v.Description))
            .ToList();
        return new ConfigView(dashboard.App(me, app).App, vars, unset,
            me.Can(Permission.SetConfig, app.Ref) ? ApiPath(app.Ref, "/config") : null,
            me.Can(Permission.RevealSecrets, app.Ref) ? ApiPath(app.Ref, "/config/reveal") : null,
            DashboardData.PagePath(app.Ref, "/config/content"), DashboardData.PagePath(app.Ref));
    }

    /// <summary>"url", "enum: a|b", "list of int", with ", secret" when it must be one.</summary>
    internal static string Describe(VariableSpec v) =>
        (v.Type switch
        {
            VariableType.List => $"list of {v.Items.ToString().ToLowerInvariant()}",
            VariableType.Enum => "enum: " + string.Join("|", v.Values),
            _ => v.Type.ToString().ToLowerInvariant(),
        }) + (v.Secret ? ", secret" : "");

    /// <summary>/v1/apps/APP/SUFFIX[?env=ENV]: the JSON API's path for this environment.</summary>
    private static string ApiPath(AppRef app, string suffix) => "/v1" + DashboardData.PagePath(app, suffix);

    private IEnumerable<AppSpec> Specs(AppRecord app, int count) =>
        store.ListDeployments(app.Name, count).Where(d => d.SpecJson is not null).Select(d => Spec(d.SpecJson!)).OfType<AppSpec>();

    private static AppSpec? Spec(string json) => JsonSerializer.Deserialize<AppSpec>(json, Release.Json);
}
