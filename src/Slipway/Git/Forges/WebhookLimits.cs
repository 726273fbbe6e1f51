namespace Slipway.Git.Forges;

internal static class WebhookLimits
{
    /// <summary>The largest webhook body read. GitHub sends none over 25 MB ("Webhook events and payloads") and GitLab
    /// none over 25 MiB (WebHookService::REQUEST_BODY_SIZE_LIMIT); Gitea lists only a few commits. The signature covers
    /// the whole body, so it is read whole before anything in it is trusted, and a smaller cap would refuse real
    /// deliveries: a GitHub push lists up to 2048 commits, each with its added, removed and modified files, and a push
    /// refused with 413 is a deploy that never happens. A larger cap would only let senders without the secret make
    /// the platform buffer more.</summary>
    public const long MaxPayload = 25L * 1024 * 1024;
}
