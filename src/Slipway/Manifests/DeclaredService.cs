namespace Slipway.Manifests;

/// <summary>A service as read from slipway.json, before detection and type-specific rules.
/// <see cref="Keys"/> tells "omitted" from "given the default value": an omitted build command is detected,
/// an explicit <c>"build": null</c> means none, and <c>"replicas": 1</c> on a static service is still an error.
/// </summary>
internal sealed record DeclaredService(string Path, ServiceSpec Spec, IReadOnlyCollection<string> Keys)
{
    public bool Declares(string key) => Keys.Contains(key);
}
