using System.Text;

namespace Slipway.Git;

/// <summary>The one comment a pull request gets about its preview (Markdown, as GitHub, GitLab and Gitea render it),
/// rewritten in place at every change, so the conversation is not buried under deploy messages.</summary>
internal static class PreviewComment
{
    public const string Marker = "<!-- slipway-preview -->";

    /// <param name="state">Where the preview is ("✅ Live", "❌ Failed: ...").</param>
    /// <param name="url">The preview's address once it serves.</param>
    /// <param name="next">What a person can do now (approve a fork's commit, read the deploy log), or null.</param>
    public static string Text(PreviewRecord preview, string state, string? url, string? next)
    {
        var text = new StringBuilder();
        text.AppendLine(Marker);
        text.AppendLine($"**Slipway preview** `{preview.Env.Env}` of #{preview.Number}");
        text.AppendLine();
        text.AppendLine("| Commit | State | Preview |");
        text.AppendLine("|---|---|---|");
        text.AppendLine($"| `{preview.HeadSha[..Math.Min(12, preview.HeadSha.Length)]}` | {Cell(state)} | {(url is null ? "–" : $"[{Cell(url)}]({url})")} |");
        if (next is not null)
        {
            text.AppendLine();
            text.AppendLine(next);
        }
        text.AppendLine();
        text.Append("<sub>Redeployed at every push to the pull request; removed when it is closed or merged.");
        text.Append(preview.DeploymentId is null ? "" : $" Deployment `{preview.DeploymentId}`.");
        text.AppendLine("</sub>");
        return text.ToString();
    }

    /// <summary>A table cell holds one line without pipes; an error's text can have both.</summary>
    private static string Cell(string text)
    {
        var line = text.ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal).Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }
}
