namespace Slipway.Deploy;

/// <param name="Source">An absolute local directory, or a git URL.</param>
/// <param name="Ref">Branch, tag or commit for git sources.</param>
/// <param name="Hosts">Extra hostnames for the app, besides APP.localhost.</param>
/// <param name="App">The environment's row name (APP for production, APP-ENV otherwise).</param>
internal sealed record DeployRequest(string App, string Source, string? Ref = null, IReadOnlyList<string>? Hosts = null)
{
    /// <summary>The app the user named, and the environment.</summary>
    public string BaseApp { get; init; } = App;
    public string Env { get; init; } = AppEnvironments.Production;

    /// <summary>Rebuild: the pristine source of this earlier build instead of <see cref="Source"/>.</summary>
    public State.BuildRecord? FromBuild { get; init; }
}
