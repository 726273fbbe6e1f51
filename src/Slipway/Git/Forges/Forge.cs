using System.Text.Json.Serialization;

namespace Slipway.Git.Forges;

/// <summary>Where a webhook comes from. Gitea and Forgejo (a fork of Gitea) send the same payloads; Forgejo adds
/// X-Forgejo-* headers beside (or, in time, instead of) the X-Gitea-* ones, so both are one forge here.
/// The members are named Github and Gitlab, not GitHub and GitLab: an enum's JSON spelling is its name in kebab case
/// (<see cref="JsonSpellings"/>), and these spell "github", "gitlab" and "gitea", not "git-hub".</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<Forge>))]
internal enum Forge
{
    Github,
    Gitlab,
    Gitea,
}
