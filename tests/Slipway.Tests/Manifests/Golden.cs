namespace Slipway.Tests.Manifests;

/// <summary>Fixture files under Manifests/Golden/FORMAT: input/ (an app directory as a team would bring it),
/// slipway.json (the expected conversion) and warnings.txt (one expected warning a line). Read from the source
/// tree, not the build output, so an update writes back where git sees it: run the tests with
/// SLIPWAY_UPDATE_GOLDEN=1 to rewrite the expected files, then review the diff.</summary>
internal static class Golden
{
    public static readonly bool Update = Environment.GetEnvironmentVariable("SLIPWAY_UPDATE_GOLDEN") == "1";

    /// <summary>Every fixture, one per converter and the railway cron case, for theories over all of them.</summary>
    public static TheoryData<string> Formats => new("railway", "railway-cron", "vercel", "procfile", "render", "appjson");

    public static string Dir(string format)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Slipway.slnx")))
            directory = directory.Parent;
        directory.Should().NotBeNull("the tests run from inside the repository");
        return Path.Combine(directory!.FullName, "tests", "Slipway.Tests", "Manifests", "Golden", format);
    }

    /// <summary>Compares <paramref name="actual"/> with the expected file, line endings normalized (a checkout
    /// with CRLF must not fail), or rewrites the file in update mode.</summary>
    public static void Match(string format, string file, string actual)
    {
        var path = Path.Combine(Dir(format), file);
        if (Update)
        {
            File.WriteAllText(path, actual);
            return;
        }

        File.Exists(path).Should().BeTrue($"{path} holds the expected output; create it with SLIPWAY_UPDATE_GOLDEN=1");
        Normalize(actual).Should().Be(Normalize(File.ReadAllText(path)), $"{format}/{file} is the expected output");
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);
}
