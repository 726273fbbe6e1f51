using Slipway.Git.Forges;

namespace Slipway.Git;

/// <summary>An app's remote connected to a forge (`slipway git connect`): where its repository is, the webhook's
/// secret and the access token, both sealed under the master key, and the forge's API base when it is not the
/// public one (GitHub Enterprise, a self-hosted GitLab or Gitea).</summary>
internal sealed record ForgeLink(Forge Forge, string RepoUrl, string WebhookSecretEnc, string? TokenEnc, string? ApiBase);
