using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Manifests.Compat;

/// <summary>app.json (Heroku, Dokku) with its Procfile. The Procfile gives the services (without one, a single
/// "web" service whose commands are detected); app.json adds:
/// <code>
///   scripts.predeploy (or scripts.dokku.predeploy) → release, before the Procfile's own release line
///   scripts.postdeploy                             → release, when there is no predeploy (with a warning)
///   formation.TYPE.quantity                        → replicas of the TYPE service
///   healthchecks.web[].path / timeout              → healthcheck.path / healthcheck.timeout
///   env                                            → a warning listing what to set with `slipway env set`
/// </code></summary>
internal static class AppJsonConverter
{
    public const string FileName = "app.json";

    public static void Convert(Conversion conversion, bool withProcfile)
    {
        if (conversion.ReadJson(FileName) is not { } root)
            return;

        var services = withProcfile ? ProcfileConverter.Convert(conversion) : DetectedWeb(conversion);
        if (services is null)
            return;

        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "scripts":
                    Scripts(conversion, value);
                    break;
                case "formation":
                    Formation(conversion, value, services);
                    break;
                case "healthchecks":
                    Healthchecks(conversion, value, services);
                    break;
                case "env":
                    Env(conversion, value);
                    break;
                case "addons":
                    conversion.Ignored(FileName, "addons", "provision databases and other add-ons yourself and set their " +
                                                           "URLs with `slipway env set NAME=value`");
                    break;
                case "name" or "description" or "keywords" or "logo" or "repository" or "website" or "success_url":
                    conversion.Ignored(FileName, property.Name, "it describes the app for a deploy button");
                    break;
                default:
                    conversion.Ignored(FileName, property.Name);
                    break;
            }
        }
    }

    private static void Scripts(Conversion conversion, JsonElement scripts)
    {
        (string Command, SourceValue Source)? predeploy = null, postdeploy = null;
        foreach (var script in conversion.Properties(FileName, "scripts", scripts))
        {
            if (script.Name == "dokku")
            {
                foreach (var dokku in conversion.Properties(FileName, "scripts.dokku", script.Value))
                {
                    if (dokku.Name == "predeploy" && Command(dokku, "scripts.dokku") is { } command)
                        predeploy = command;
                    else if (dokku.Name == "postdeploy" && Command(dokku, "scripts.dokku") is { } after)
                        postdeploy = after;
                    else
                        conversion.Ignored(FileName, $"scripts.dokku.{dokku.Name}");
                }
            }
            else if (script.Name == "predeploy" && Command(script, "scripts") is { } command)
                predeploy ??= command;
            else if (script.Name == "postdeploy" && Command(script, "scripts") is { } after)
                postdeploy ??= after;
            else
                conversion.Ignored(FileName, $"scripts.{script.Name}");
        }

        if (predeploy is not null)
        {
            ProcfileConverter.AddRelease(conversion, predeploy.Value.Command, predeploy.Value.Source);
            if (postdeploy is not null)
                conversion.Ignored(FileName, "scripts.postdeploy", "Slipway runs one release command, before traffic moves; " +
                                                                    "scripts.predeploy became it");
        }
        else if (postdeploy is not null)
        {
            ProcfileConverter.AddRelease(conversion, postdeploy.Value.Command, postdeploy.Value.Source);
            conversion.Warn(FileName, "scripts.postdeploy", "became the release command, which in Slipway runs before " +
                                                            "traffic moves to the new version, not after");
        }
    }

    /// <summary>A script's command with where it is written, e.g. scripts.dokku.predeploy "npm run migrate".</summary>
    private static (string Command, SourceValue Source)? Command(JsonProperty script, string parent) =>
        Text(script.Value) is { } command ? (command, SourceValue.Of(FileName, $"{parent}.{script.Name}", command)) : null;

    private static void Formation(Conversion conversion, JsonElement formation, IReadOnlyDictionary<string, string> services)
    {
        foreach (var process in conversion.Properties(FileName, "formation", formation))
        {
            if (!services.TryGetValue(process.Name, out var name))
            {
                conversion.Warn(FileName, $"formation.{process.Name}", "there is no such process type in the Procfile; ignored");
                continue;
            }

            foreach (var setting in conversion.Properties(FileName, $"formation.{process.Name}", process.Value))
            {
                if (setting.Name == "quantity")
                    conversion.Copy(conversion.Service(name), "replicas", FileName, $"formation.{process.Name}.quantity", setting.Value);
                else
                    conversion.Ignored(FileName, $"formation.{process.Name}.{setting.Name}");
            }
        }
    }

    /// <summary>Dokku's checks: { "web": [{ "type": "startup", "path": "/health", "timeout": 5, ... }] }. Slipway
    /// probes one path per web service, so the first check with a path is taken.</summary>
    private static void Healthchecks(Conversion conversion, JsonElement healthchecks, IReadOnlyDictionary<string, string> services)
    {
        foreach (var process in conversion.Properties(FileName, "healthchecks", healthchecks))
        {
            var key = $"healthchecks.{process.Name}";
            if (process.Name != "web" || !services.ContainsKey("web"))
            {
                conversion.Ignored(FileName, key, "only the web process gets health checks");
                continue;
            }

            var taken = false;
            var checks = process.Value.ValueKind == JsonValueKind.Array ? process.Value.EnumerateArray().ToList() : [];
            for (var i = 0; i < checks.Count; i++)
            {
                var check = checks[i];
                if (taken || check.ValueKind != JsonValueKind.Object || !check.TryGetProperty("path", out _))
                {
                    conversion.Ignored(FileName, $"{key}[{i}]", "Slipway probes one path per web service");
                    continue;
                }

                taken = true;
                var healthcheck = Conversion.Child(conversion.Service(services["web"]), "healthcheck");
                foreach (var setting in check.EnumerateObject())
                {
                    var fileKey = $"{key}[{i}].{setting.Name}";
                    if (setting.Name == "path")
                        conversion.Copy(healthcheck, "path", FileName, fileKey, setting.Value);
                    else if (setting.Name == "timeout")
                        conversion.Set(healthcheck, "timeout", Conversion.Seconds(setting.Value), SourceValue.Of(FileName, fileKey, setting.Value));
                    else if (setting.Name is not ("type" or "name"))
                        conversion.Ignored(FileName, fileKey);
                }
            }
        }
    }

    private static void Env(Conversion conversion, JsonElement env)
    {
        var names = new List<string>();
        foreach (var variable in conversion.Properties(FileName, "env", env))
        {
            var value = variable.Value.ValueKind == JsonValueKind.String
                ? variable.Value.GetString()
                : variable.Value.ValueKind == JsonValueKind.Object && variable.Value.TryGetProperty("value", out var given)
                    ? Text(given)
                    : null;
            names.Add(value is null ? variable.Name : $"{variable.Name} (default {ManifestObject.Quote(value)})");
        }

        if (names.Count > 0)
            conversion.Warn(FileName, "env", "config vars are not copied into slipway.json; set them with " +
                                             $"`slipway env set NAME=value`: {string.Join(", ", names)}");
    }

    /// <summary>Without a Procfile, Heroku runs the buildpack's default web process; detection does the same.</summary>
    private static Dictionary<string, string> DetectedWeb(Conversion conversion)
    {
        conversion.Service(ManifestLoader.DetectedServiceName);
        return new Dictionary<string, string> { ["web"] = ManifestLoader.DetectedServiceName };
    }

    private static string? Text(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(value.GetString()) ? value.GetString() : null;
}
