using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Manifests.Compat;

/// <summary>railway.json (config as code for one Railway service) to one service named "web".
/// <code>
///   build.buildCommand          → build              deploy.restartPolicyType       → restart.policy
///   deploy.startCommand         → start              deploy.restartPolicyMaxRetries → restart.maxRetries
///   deploy.preDeployCommand     → release            deploy.numReplicas             → replicas
///   deploy.healthcheckPath      → healthcheck.path   deploy.healthcheckTimeout (s)  → healthcheck.startTimeout
///   deploy.cronSchedule         → crons[] "web": the start command on that schedule, in the service's build
/// </code>
/// An install at the start of the build command moves to "install" (<see cref="InstallInBuild"/>).</summary>
internal static class RailwayConverter
{
    public const string FileName = "railway.json";
    private const string ServiceName = "web";

    /// <summary>The process of a cron service between runs. Slipway has no services without a process, and a
    /// command job needs a service's build to run in.</summary>
    public const string Idle = "sleep infinity";

    private static readonly Dictionary<string, string> Policies = new(StringComparer.Ordinal)
    {
        ["ON_FAILURE"] = "on-failure", ["ALWAYS"] = "always", ["NEVER"] = "never",
    };

    public static void Convert(Conversion conversion)
    {
        if (conversion.ReadJson(FileName) is not { } root)
            return;

        var service = conversion.Service(ServiceName);
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "$schema":
                    break; // for editors only
                case "build":
                    Build(conversion, property.Value, service);
                    break;
                case "deploy":
                    Deploy(conversion, property.Value, service);
                    break;
                case "environments":
                    conversion.Ignored(FileName, "environments",
                        "Slipway deploys one configuration per app; deploy each environment as its own app");
                    break;
                default:
                    conversion.Ignored(FileName, property.Name);
                    break;
            }
        }
    }

    private static void Build(Conversion conversion, JsonElement build, JsonObject service)
    {
        foreach (var property in conversion.Properties(FileName, "build", build))
        {
            if (property.Name == "buildCommand")
                conversion.Build(service, FileName, "build.buildCommand", property.Value);
            else if (property.Name == "builder")
                conversion.Ignored(FileName, "build.builder", "Slipway detects how to install and build from package.json or *.csproj");
            else
                conversion.Ignored(FileName, $"build.{property.Name}");
        }
    }

    private static void Deploy(Conversion conversion, JsonElement deploy, JsonObject service)
    {
        JsonElement? schedule = null;
        foreach (var property in conversion.Properties(FileName, "deploy", deploy))
        {
            var value = property.Value;
            var key = $"deploy.{property.Name}";
            switch (property.Name)
            {
                case "cronSchedule":
                    schedule = value; // after the loop: it needs the start command, wherever that is in the file
                    break;
                case "startCommand":
                    conversion.Copy(service, "start", FileName, key, value);
                    break;
                case "preDeployCommand":
                    conversion.Set(service, "release", Command(value), SourceValue.Of(FileName, key, value));
                    break;
                case "numReplicas":
                    conversion.Copy(service, "replicas", FileName, key, value);
                    break;
                case "healthcheckPath":
                    conversion.Copy(Conversion.Child(service, "healthcheck"), "path", FileName, key, value);
                    break;
                case "healthcheckTimeout":
                    conversion.Set(Conversion.Child(service, "healthcheck"), "startTimeout", Conversion.Seconds(value),
                        SourceValue.Of(FileName, key, value));
                    break;
                case "restartPolicyType":
                    var policy = value.ValueKind == JsonValueKind.String && Policies.TryGetValue(value.GetString()!, out var known)
                        ? known
                        : Conversion.Node(value);
                    conversion.Set(Conversion.Child(service, "restart"), "policy", policy, SourceValue.Of(FileName, key, value));
                    break;
                case "restartPolicyMaxRetries":
                    conversion.Copy(Conversion.Child(service, "restart"), "maxRetries", FileName, key, value);
                    break;
                default:
                    conversion.Ignored(FileName, key);
                    break;
            }
        }

        if (schedule is { } cron)
            Cron(conversion, cron, service);
    }

    /// <summary>Railway starts a service with a cronSchedule at those times and lets it exit, instead of keeping it
    /// running. That is a Slipway command job named after the service, running the start command in the service's
    /// build; the service itself becomes a worker that idles, so the job has a build to run in and nothing runs
    /// between the scheduled times. Railway skips a run while the previous one is still going (Slipway's default
    /// too) and does not catch up on runs it missed.</summary>
    private static void Cron(Conversion conversion, JsonElement schedule, JsonObject service)
    {
        const string key = "deploy.cronSchedule";
        var declared = service["start"]?.DeepClone();
        var start = declared ?? DetectedStart(conversion.SourceDir);
        if (start is null)
        {
            conversion.Warn(FileName, key, "there is no deploy.startCommand and none was detected, so " +
                                           "there is nothing to run on the schedule; ignored");
            return;
        }

        var implied = SourceValue.Implied(FileName, key, schedule);
        var job = new JsonObject();
        conversion.Set(job, "name", ServiceName, implied);
        conversion.Copy(job, "schedule", FileName, key, schedule);
        // A declared start command is the job's command as railway.json writes it; a detected one is implied.
        var command = declared is null ? implied : new SourceValue(FileName, "deploy.startCommand", declared.DeepClone());
        conversion.Set(job, "command", start, command);
        conversion.Set(job, "service", ServiceName, implied);
        conversion.Set(job, "missed", "skip", implied);
        conversion.Crons.Add(job);
        conversion.Set(service, "type", "worker", implied);
        // The start command's source stays deploy.startCommand when there is one: that is what the team wrote for it,
        // and a slipway.json that says it for "start" restates railway.json as read before cronSchedule was mapped.
        service["start"] = Idle;
        if (declared is null)
            conversion.From(service, "start", implied);
        conversion.Warn(FileName, key, $"became the cron job \"{ServiceName}\", which runs the start command " +
                                       $"on that schedule; service \"{ServiceName}\" is a worker that only " +
                                       $"idles ({Idle}) so the job has a build to run in");
        if (service["healthcheck"] is JsonObject healthcheck)
        {
            conversion.Drop(service, "healthcheck");
            const string why = "a cron service gets no traffic, so there is nothing to check";
            if (healthcheck.ContainsKey("path"))
                conversion.Ignored(FileName, "deploy.healthcheckPath", why);
            if (healthcheck.ContainsKey("startTimeout"))
                conversion.Ignored(FileName, "deploy.healthcheckTimeout", why);
        }
    }

    private static JsonNode? DetectedStart(string sourceDir) =>
        Detector.TryDetect(sourceDir, out var detected, out _) && detected.Start is { } start ? JsonValue.Create(start) : null;

    /// <summary>Railway accepts one command or a list run in order.</summary>
    private static JsonNode? Command(JsonElement value) =>
        value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(item => item.ValueKind == JsonValueKind.String)
            ? string.Join(" && ", value.EnumerateArray().Select(item => item.GetString()))
            : Conversion.Node(value);
}
