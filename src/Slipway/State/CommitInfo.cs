namespace Slipway.State;

/// <summary>The git commit a build was made from: its id (12 hex digits, "-dirty" for a work tree with uncommitted
/// changes), the first line of its message and its author ("Name &lt;email&gt;"), as `slipway deployments` shows them.</summary>
internal sealed record CommitInfo(string Sha, string? Subject = null, string? Author = null)
{
    /// <summary>Subjects are cut here: a history line, not the whole message.</summary>
    public const int MaxSubject = 200;

    public static CommitInfo? Of(string? sha, string? subject, string? author) => sha is null ? null : new CommitInfo(sha, subject, author);
}
