namespace Slipway.Git;

/// <summary>Where git delivery keeps its repositories and the pipes of pushes in progress.</summary>
/// <param name="ReposDir">The bare repositories, DATA/git/APP.git (git http-backend's project root).</param>
/// <param name="RunDir">DATA/run/git: the pre-receive hook this platform process wrote, and one directory per push
/// in progress with the two pipes its hook talks through.</param>
internal sealed record GitOptions(string ReposDir, string RunDir)
{
    public static GitOptions For(string dataDir) => new(Path.Combine(dataDir, "git"), Path.Combine(dataDir, "run", "git"));

    public string HooksDir => Path.Combine(RunDir, "hooks");

    public string RepoOf(string app) => Path.Combine(ReposDir, app + ".git");
}
