namespace Slipway.Tests.Manifests;

/// <summary>A throwaway app source directory; deleted on dispose so tests leave nothing behind.</summary>
internal sealed class TempSource : IDisposable
{
    public TempSource()
    {
        Dir = Path.Combine(Path.GetTempPath(), "slipway-manifest-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
    }

    public string Dir { get; }

    /// <summary>Writes a file, creating its directories; returns this for chaining.</summary>
    public TempSource File(string relativePath, string content = "")
    {
        var path = Path.Combine(Dir, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, content);
        return this;
    }

    public TempSource Folder(string relativePath)
    {
        Directory.CreateDirectory(Path.Combine(Dir, relativePath));
        return this;
    }

    public TempSource Manifest(string json) => File("slipway.json", json);

    public void Dispose()
    {
        if (Directory.Exists(Dir))
            Directory.Delete(Dir, recursive: true);
    }
}
