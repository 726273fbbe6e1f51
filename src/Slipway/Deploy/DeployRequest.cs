namespace Slipway.Deploy;

/// <param name="Source">An absolute local directory, or a git URL.</param>
/// <param name="Ref">Branch, tag or commit for git sources.</param>
/// <param name="Hosts">Extra hostnames for the app, besides APP.localhost.</param>
internal sealed record DeployRequest(string App, string Source, string? Ref = null, IReadOnlyList<string>? Hosts = null);
