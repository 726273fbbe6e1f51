namespace Slipway.Git;

/// <summary>What a webhook delivery is answered: the status the forge records and a line a person reads in the
/// forge's delivery log.</summary>
internal sealed record WebhookAnswer(int Status, string Message, string? DeploymentId = null)
{
    /// <summary>Its work runs after the answer (its delivery is recorded "queued", then "failed" if the work fails).</summary>
    public bool Queued { get; init; }
}
