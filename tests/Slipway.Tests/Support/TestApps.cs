using System.Text.Json.Nodes;

namespace Slipway.Tests.Support;

/// <summary>Copies of the repository's example apps, editable per test (version, manifest tweaks).</summary>
internal static class TestApps
{
    public static readonly string RepoRoot = FindRepoRoot();

    /// <summary>Dependency cache shared by every test platform, so npm installs run once per lockfile.</summary>
    public static readonly string SharedCacheDir = Path.Combine(Path.GetTempPath(), "slipway-tests-cache");

    public static string Example(string name) => Path.Combine(RepoRoot, "examples", name);

    /// <summary>A fresh copy of an example (without node_modules or build output), with VERSION set.</summary>
    public static string Copy(string example, string? version = null)
    {
        var dir = TempDirs.Create(example);
        CopyTree(Example(example), dir);
        if (version is not null)
        {
            File.WriteAllText(Path.Combine(dir, "VERSION"), version + "\n");
        }
        return dir;
    }

    /// <summary>Edits slipway.json in place.</summary>
    public static void EditManifest(string appDir, Action<JsonObject> edit)
    {
        var path = Path.Combine(appDir, "slipway.json");
        var json = JsonNode.Parse(File.ReadAllText(path), documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        foreach (var dir in Directory.GetDirectories(from))
        {
            var name = Path.GetFileName(dir);
            if (name is "node_modules" or "dist" or ".slipway-out" or "bin" or "obj" or "data")
            {
                continue;
            }
            CopyTree(dir, Path.Combine(to, name));
        }
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Slipway.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("run the tests from inside the Slipway repository");
    }
}
