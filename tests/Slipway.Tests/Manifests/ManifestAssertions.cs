using Slipway.Manifests;

namespace Slipway.Tests.Manifests;

internal static class ManifestAssertions
{
    /// <summary>Loads and requires success, showing the loader's own message if it failed.</summary>
    public static ManifestResult.Ok LoadOk(TempSource source)
    {
        var result = ManifestLoader.Load(source.Dir);
        if (result is ManifestResult.Invalid invalid)
            throw new Xunit.Sdk.XunitException("expected a valid manifest, got:\n" + invalid.Message);
        return (ManifestResult.Ok)result;
    }

    public static ManifestResult.Invalid LoadInvalid(TempSource source)
    {
        var result = ManifestLoader.Load(source.Dir);
        return result.Should().BeOfType<ManifestResult.Invalid>().Subject;
    }

    public static ManifestError SingleErrorAt(this ManifestResult.Invalid invalid, string path)
    {
        invalid.Errors.Select(error => error.Path).Should().Contain(path, because: invalid.Message);
        return invalid.Errors.Single(error => error.Path == path);
    }
}
