namespace Slipway.Git.Forges;

/// <summary>How git authenticates to a forge over HTTPS with an access token: an Authorization header (git's
/// http.extraHeader), never a URL with the token in it (URLs end up in logs and in the deployment's source).</summary>
internal static class ForgeCredentials
{
    /// <summary>Basic with the user name each forge documents for tokens: GitHub "x-access-token", GitLab "oauth2",
    /// Gitea any name.</summary>
    public static string Basic(Forge forge, string token)
    {
        var user = forge switch
        {
            Forge.Github => "x-access-token",
            Forge.Gitlab => "oauth2",
            _ => "slipway",
        };
        return "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{token}"));
    }
}
