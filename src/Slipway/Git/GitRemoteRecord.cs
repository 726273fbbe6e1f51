namespace Slipway.Git;

/// <summary>An app's git remote: its bare repository is DATA/git/APP.git; <see cref="AllowForce"/> lets a push
/// replace a branch's history (off by default, as on GitHub's protected branches).</summary>
internal sealed record GitRemoteRecord(string App, bool AllowForce, DateTimeOffset CreatedAt);
