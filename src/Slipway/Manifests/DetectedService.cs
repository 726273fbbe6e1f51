namespace Slipway.Manifests;

/// <summary>What <see cref="Detector"/> found in a directory. <see cref="Start"/> is null for static sites;
/// <see cref="Output"/> is set only for static sites. <see cref="Description"/> names the evidence, e.g.
/// "node (package.json)", and becomes <see cref="AppSpec.Origin"/> for apps without a slipway.json.</summary>
internal sealed record DetectedService(
    ServiceType Type,
    string? Install,
    string? Build,
    string? Start,
    string? Output,
    string Description);
