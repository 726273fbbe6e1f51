namespace Slipway.Git;

/// <summary>A pull request's close as the platform took it: when, and the forge's updated_at in its payload (absent
/// when the payload had none), which orders deliveries that arrive out of order.</summary>
internal sealed record ClosedPull(DateTimeOffset ClosedAt, DateTimeOffset? PullUpdatedAt)
{
    /// <summary>Whether <paramref name="pull"/> happened before this close (a late delivery) rather than after it.
    /// A pull request's first opening always came before its close; forges give seconds: an update in the close's
    /// second is taken as before it, a reopen as after.</summary>
    public bool Precedes(Forges.PullRequestEvent pull) => (pull.Action, pull.UpdatedAt, PullUpdatedAt) switch
    {
        (Forges.PullRequestAction.Opened, _, _) => true,
        (Forges.PullRequestAction.Reopened, { } updated, { } closed) => updated < closed,
        (_, { } updated, { } closed) => updated <= closed,
        // Without the forge's times, only a reopen follows a close.
        _ => pull.Action != Forges.PullRequestAction.Reopened,
    };
}

/// <summary>The newest opening, reopen or update taken for a pull request: its forge updated_at, and whether it was a
/// reopen (which, in the same second as a close, came after it).</summary>
internal sealed record SeenPull(DateTimeOffset UpdatedAt, bool Reopened)
{
    /// <summary>Whether <paramref name="close"/> (its forge time) happened before this, so it was delivered late.</summary>
    public bool After(DateTimeOffset close) => UpdatedAt > close || (UpdatedAt == close && Reopened);
}
