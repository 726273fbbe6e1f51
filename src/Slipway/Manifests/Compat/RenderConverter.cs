using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Slipway.Manifests.Compat;

/// <summary>render.yaml (a Render Blueprint) to one Slipway service per entry of "services".
/// <code>
///   type web (runtime static: a static service) | worker → a service named after "name"
///   type cron                                          → an entry of crons, run in the service with its rootDir
///   buildCommand → build   startCommand → start   preDeployCommand → release   rootDir → root
///   healthCheckPath → healthcheck.path   numInstances → replicas   envVars[] { key, value } → env
///   staticPublishPath → output
/// </code>
/// "npm install &amp;&amp; npm run build", Render's usual build, becomes install and build (<see cref="InstallInBuild"/>).
/// Render gives each web service its own hostname; Slipway serves an app's web services under one, by path, so
/// every web service after the first answers under "/its-name" (with a warning).</summary>
internal static partial class RenderConverter
{
    public const string FileName = "render.yaml";

    public static void Convert(Conversion conversion)
    {
        if (YamlDocument.Read(conversion, FileName) is not { } root)
            return;

        var crons = new List<(JsonElement Entry, string Key)>();
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name != "services")
            {
                var hint = property.Name == "databases"
                    ? "create the database yourself and set its URL with `slipway env set DATABASE_URL=...`"
                    : null;
                conversion.Ignored(FileName, property.Name, hint);
                continue;
            }

            var entries = property.Value.ValueKind == JsonValueKind.Array ? property.Value.EnumerateArray().ToList() : [];
            for (var i = 0; i < entries.Count; i++)
            {
                var key = $"services[{i}]";
                var type = Text(entries[i], "type");
                if (type == "cron")
                    crons.Add((entries[i], key)); // after the services, so each finds the service it runs in
                else if (type is "web" or "worker")
                    Service(conversion, entries[i], key, type);
                else
                    conversion.Ignored(FileName, $"{key} (type {type ?? "missing"})",
                        "Slipway runs web, worker and cron services; run other kinds (databases, key-value stores, private services) yourself");
            }
        }

        foreach (var (entry, key) in crons)
            Cron(conversion, entry, key);
    }

    private static void Service(Conversion conversion, JsonElement entry, string key, string type)
    {
        if (Name(conversion, entry, key) is not { } name)
            return;
        if (conversion.Services.ContainsKey(name))
        {
            conversion.Error(FileName, $"{key}: another service is also named \"{name}\"; service names must be unique");
            return;
        }

        var runtime = ((string[])["runtime", "env"]).FirstOrDefault(field => Text(entry, field) == "static");
        var isStatic = runtime is not null;
        var isWeb = type == "web";
        var hasWeb = conversion.Services.Any(pair => pair.Value?["type"]?.GetValue<string>() is null or "static");
        var service = conversion.Service(name);
        conversion.From(conversion.Services, name, SourceValue.Of(FileName, key, entry));
        if (!isWeb)
            conversion.Set(service, "type", "worker", SourceValue.Implied(FileName, $"{key}.type", entry.GetProperty("type")));
        else if (isStatic)
            conversion.Set(service, "type", "static", SourceValue.Implied(FileName, $"{key}.{runtime}", entry.GetProperty(runtime!)));
        if (isWeb && hasWeb)
        {
            conversion.Set(service, "path", $"/{name}", SourceValue.Implied(FileName, $"{key}.name", entry.GetProperty("name")));
            conversion.Warn(FileName, key, $"Render gives each web service its own hostname; in Slipway the app's web " +
                                           $"services share them, so \"{name}\" answers under /{name}");
        }

        foreach (var property in entry.EnumerateObject())
        {
            var value = property.Value;
            var fileKey = $"{key}.{property.Name}";
            switch (property.Name)
            {
                case "name" or "type":
                    break;
                case "runtime" or "env":
                    if (value.ValueKind != JsonValueKind.String || value.GetString() is not ("node" or "static"))
                        conversion.Ignored(FileName, fileKey, "Slipway detects Node.js, .NET and static sites");
                    break;
                case "buildCommand":
                    conversion.Build(service, FileName, fileKey, value);
                    break;
                case "startCommand":
                    conversion.Copy(service, "start", FileName, fileKey, value);
                    break;
                case "preDeployCommand":
                    conversion.Copy(service, "release", FileName, fileKey, value);
                    break;
                case "rootDir":
                    conversion.Copy(service, "root", FileName, fileKey, value);
                    break;
                case "numInstances":
                    conversion.Copy(service, "replicas", FileName, fileKey, value);
                    break;
                case "healthCheckPath" when isWeb && !isStatic:
                    conversion.Copy(Conversion.Child(service, "healthcheck"), "path", FileName, fileKey, value);
                    break;
                case "staticPublishPath" when isStatic:
                    conversion.Copy(service, "output", FileName, fileKey, value);
                    break;
                case "envVars":
                    EnvVars(conversion, value, fileKey, service);
                    break;
                default:
                    conversion.Ignored(FileName, fileKey);
                    break;
            }
        }
    }

    private static void EnvVars(Conversion conversion, JsonElement envVars, string key, JsonObject service)
    {
        var variables = envVars.ValueKind == JsonValueKind.Array ? envVars.EnumerateArray().ToList() : [];
        for (var i = 0; i < variables.Count; i++)
        {
            var variable = variables[i];
            var name = Text(variable, "key");
            var where = name is null ? $"{key}[{i}]" : $"{key}.{name}";
            if (name is null)
                conversion.Ignored(FileName, where, "only { key, value } variables are carried over");
            else if (ManifestKeys.ReservedEnv.Contains(name))
                conversion.Warn(FileName, where, $"Slipway sets {name} for every instance; dropped");
            else if (variable.TryGetProperty("value", out var value))
                conversion.Copy(Conversion.Child(service, "env"), name, FileName, $"{key}[{i}].value", value);
            else if (variable.TryGetProperty("generateValue", out _))
                conversion.Warn(FileName, where, $"generateValue is not supported; set a random value with `slipway env set {name}=...`");
            else if (variable.TryGetProperty("sync", out _))
                conversion.Warn(FileName, where, $"its value is kept out of render.yaml (sync: false); set it with `slipway env set {name}=...`");
            else
                conversion.Warn(FileName, where, $"values from other resources (fromDatabase, fromService, fromGroup) are not " +
                                                 $"supported; set it with `slipway env set {name}=...`");
        }
    }

    /// <summary>A cron entry becomes a job that runs its startCommand in the service whose rootDir it shares
    /// (Render builds each cron on its own; Slipway runs jobs in an existing service's build).</summary>
    private static void Cron(Conversion conversion, JsonElement entry, string key)
    {
        if (Name(conversion, entry, key) is not { } name)
            return;

        // Render stops a cron run after 12 hours, runs one at a time (skip is the default here too) and does
        // not catch up on runs it missed.
        var isCron = SourceValue.Implied(FileName, $"{key}.type", entry.GetProperty("type"));
        var job = new JsonObject();
        conversion.Set(job, "name", name, SourceValue.Of(FileName, $"{key}.name", entry.GetProperty("name")));
        conversion.Set(job, "timeout", "12h", isCron);
        conversion.Set(job, "missed", "skip", isCron);
        var root = Text(entry, "rootDir") ?? ".";
        var host = conversion.Services.FirstOrDefault(pair => (pair.Value?["root"]?.GetValue<string>() ?? ".") == root
                                                               && pair.Value?["type"]?.GetValue<string>() != "static");
        if (host.Key is not null)
            conversion.Set(job, "service", host.Key, entry.TryGetProperty("rootDir", out var rootDir)
                ? SourceValue.Implied(FileName, $"{key}.rootDir", rootDir)
                : isCron);
        foreach (var property in entry.EnumerateObject())
        {
            var fileKey = $"{key}.{property.Name}";
            switch (property.Name)
            {
                case "name" or "type" or "rootDir" or "runtime" or "env":
                    break;
                case "schedule":
                    conversion.Copy(job, "schedule", FileName, fileKey, property.Value);
                    break;
                case "startCommand":
                    conversion.Copy(job, "command", FileName, fileKey, property.Value);
                    break;
                case "buildCommand" when host.Key is not null:
                    if (host.Value?["build"]?.ToString() != property.Value.ToString())
                        conversion.Warn(FileName, fileKey, $"the job runs in service \"{host.Key}\"'s build, so its own build command was ignored");
                    break;
                default:
                    conversion.Ignored(FileName, fileKey);
                    break;
            }
        }

        if (host.Key is null)
            conversion.Warn(FileName, key, $"no web or worker service has rootDir \"{root}\"; the job runs in the app's first service");
        conversion.Crons.Add(job);
    }

    private static string? Name(Conversion conversion, JsonElement entry, string key)
    {
        if (Text(entry, "name") is not { } raw)
        {
            conversion.Error(FileName, $"{key}: missing \"name\"");
            return null;
        }

        var name = NotNameCharacters().Replace(raw.ToLowerInvariant(), "-").Trim('-');
        if (ManifestKeys.NamePattern().IsMatch(name))
            return name;
        conversion.Error(FileName, $"{key}.name: \"{raw}\" cannot be made a Slipway name (lowercase letters, digits and \"-\", " +
                                   "starting with a letter, at most 40 characters)");
        return null;
    }

    private static string? Text(JsonElement element, string key) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(key, out var value)
                                                  && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    [GeneratedRegex("[^a-z0-9-]+")]
    private static partial Regex NotNameCharacters();
}
