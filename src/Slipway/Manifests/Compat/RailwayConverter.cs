using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Manifests.Compat;

/// <summary>railway.json (config as code for one Railway service) to one web service named "web".
/// <code>
///   build.buildCommand          → build              deploy.restartPolicyType       → restart.policy
///   deploy.startCommand         → start              deploy.restartPolicyMaxRetries → restart.maxRetries
///   deploy.preDeployCommand     → release            deploy.numReplicas             → replicas
///   deploy.healthcheckPath      → healthcheck.path   deploy.healthcheckTimeout (s)  → healthcheck.startTimeout
/// </code></summary>
internal static class RailwayConverter
{
    public const string FileName = "railway.json";
    private const string ServiceName = "web";

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
                service["build"] = Conversion.Node(property.Value);
            else if (property.Name == "builder")
                conversion.Ignored(FileName, "build.builder", "Slipway detects how to install and build from package.json or *.csproj");
            else
                conversion.Ignored(FileName, $"build.{property.Name}");
        }
    }

    private static void Deploy(Conversion conversion, JsonElement deploy, JsonObject service)
    {
        foreach (var property in conversion.Properties(FileName, "deploy", deploy))
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "startCommand":
                    service["start"] = Conversion.Node(value);
                    break;
                case "preDeployCommand":
                    service["release"] = Command(value);
                    break;
                case "numReplicas":
                    service["replicas"] = Conversion.Node(value);
                    break;
                case "healthcheckPath":
                    Conversion.Child(service, "healthcheck")["path"] = Conversion.Node(value);
                    break;
                case "healthcheckTimeout":
                    Conversion.Child(service, "healthcheck")["startTimeout"] = Conversion.Seconds(value);
                    break;
                case "restartPolicyType":
                    Conversion.Child(service, "restart")["policy"] =
                        value.ValueKind == JsonValueKind.String && Policies.TryGetValue(value.GetString()!, out var policy)
                            ? policy
                            : Conversion.Node(value);
                    break;
                case "restartPolicyMaxRetries":
                    Conversion.Child(service, "restart")["maxRetries"] = Conversion.Node(value);
                    break;
                default:
                    conversion.Ignored(FileName, $"deploy.{property.Name}");
                    break;
            }
        }
    }

    /// <summary>Railway accepts one command or a list run in order.</summary>
    private static JsonNode? Command(JsonElement value) =>
        value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(item => item.ValueKind == JsonValueKind.String)
            ? string.Join(" && ", value.EnumerateArray().Select(item => item.GetString()))
            : Conversion.Node(value);
}
