namespace Slipway.Git.Forges;

/// <summary>What a webhook's headers say besides its signature: the delivery's identity (a redelivery carries the same
/// one, so it is the key to answer a repeat without acting twice) and the event's name (for
/// <see cref="ForgeEventParser.Parse"/>). Both null when the forge did not send them.</summary>
internal static class ForgeHeaders
{
    /// <summary>GitHub: X-GitHub-Delivery, one GUID per event, kept by redeliveries. GitLab: Idempotency-Key (GitLab
    /// 17.4 and later), one per delivery and kept by its retries, else X-Gitlab-Event-UUID. That one is not unique to
    /// a delivery: GitLab reuses it for every hook a single request or job fires (a push to three branches is three
    /// deliveries with one UUID), so it is only the fallback for older GitLab. Gitea and Forgejo: X-Gitea-Delivery or
    /// X-Forgejo-Delivery, the hook task's UUID.</summary>
    public static string? DeliveryId(Forge forge, Func<string, string?> header) => forge switch
    {
        Forge.Github => First(header, "X-GitHub-Delivery"),
        Forge.Gitlab => First(header, "Idempotency-Key", "X-Gitlab-Event-UUID"),
        Forge.Gitea => First(header, "X-Gitea-Delivery", "X-Forgejo-Delivery"),
        _ => throw new ArgumentOutOfRangeException(nameof(forge), forge, null),
    };

    /// <summary>The key a delivery is acted on once by. GitLab without Idempotency-Key (before 17.4) names the event
    /// alone (X-Gitlab-Event-UUID), which one push of several branches shares: the branch, or the merge request and
    /// its action, is added so each of them is acted on.</summary>
    public static string? DeliveryKey(Forge forge, Func<string, string?> header, string? delivery, ForgeEvent parsed) =>
        forge != Forge.Gitlab || delivery is null || First(header, "Idempotency-Key") is not null ? delivery : parsed switch
        {
            PushEvent push => $"{delivery}:{push.Branch}",
            PullRequestEvent pull => $"{delivery}:!{pull.Number}:{JsonSpellings.Of(pull.Action)}",
            _ => delivery,
        };

    /// <summary>GitHub: X-GitHub-Event ("push", "pull_request", "ping"). GitLab: X-Gitlab-Event ("Push Hook", "Merge
    /// Request Hook"). Gitea and Forgejo: X-Gitea-Event or X-Forgejo-Event ("push", "pull_request", "delete").</summary>
    public static string? EventName(Forge forge, Func<string, string?> header) => forge switch
    {
        Forge.Github => First(header, "X-GitHub-Event"),
        Forge.Gitlab => First(header, "X-Gitlab-Event"),
        Forge.Gitea => First(header, "X-Gitea-Event", "X-Forgejo-Event"),
        _ => throw new ArgumentOutOfRangeException(nameof(forge), forge, null),
    };

    private static string? First(Func<string, string?> header, params string[] names) =>
        names.Select(header).FirstOrDefault(value => !string.IsNullOrWhiteSpace(value))?.Trim();
}
