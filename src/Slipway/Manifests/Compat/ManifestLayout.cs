using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Manifests.Compat;

/// <summary>Puts a converted (or merged) manifest's keys in the order the schema lists them, whatever order the
/// converters filled them in, so converted files look alike and golden files stay stable.</summary>
internal static class ManifestLayout
{
    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        NewLine = "\n",
        // Commands are full of &&, quotes and <: keep them readable. The output is a file, not HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The manifest as slipway.json text: sorted, indented, "\n" line endings, ending with a newline.</summary>
    public static string Write(JsonObject manifest)
    {
        Sort(manifest);
        return manifest.ToJsonString(WriteOptions) + "\n";
    }

    public static void Sort(JsonObject manifest)
    {
        Reorder(manifest, ManifestKeys.RootKeys);
        if (manifest["services"] is JsonObject services)
        {
            foreach (var (_, service) in services)
            {
                if (service is not JsonObject fields)
                    continue;
                Reorder(fields, ManifestKeys.ServiceKeys);
                if (fields["healthcheck"] is JsonObject healthcheck)
                    Reorder(healthcheck, ManifestKeys.HealthcheckKeys);
                if (fields["restart"] is JsonObject restart)
                    Reorder(restart, ManifestKeys.RestartKeys);
            }
        }

        if (manifest["routes"] is JsonObject routes)
            Reorder(routes, ManifestKeys.RoutesKeys);
        if (manifest["crons"] is JsonArray crons)
        {
            foreach (var cron in crons.OfType<JsonObject>())
                Reorder(cron, ManifestKeys.CronKeys);
        }

        if (manifest["deploy"] is JsonObject deploy)
            Reorder(deploy, ManifestKeys.DeployKeys);
    }

    private static void Reorder(JsonObject node, IReadOnlyList<string> order)
    {
        var properties = node.ToList();
        node.Clear();
        // OrderBy is stable: keys the schema does not list keep their relative order, at the end.
        foreach (var (key, value) in properties.OrderBy(property => Rank(order, property.Key)))
            node[key] = value;
    }

    private static int Rank(IReadOnlyList<string> order, string key)
    {
        for (var i = 0; i < order.Count; i++)
        {
            if (order[i] == key)
                return i;
        }

        return order.Count;
    }
}
