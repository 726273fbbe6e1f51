namespace Slipway.Manifests;

/// <summary>One problem in a manifest. <paramref name="Path"/> is the key path of the offending value
/// (<c>services.api.healthcheck.timeout</c>), or "" for the document as a whole (syntax errors, nothing to
/// detect). <paramref name="Message"/> says what was expected, what was found, and how to fix it.</summary>
internal sealed record ManifestError(string Path, string Message)
{
    public override string ToString() => Path.Length == 0 ? Message : $"{Path}: {Message}";
}
