using System.Text.Json.Serialization;

namespace Slipway.Git;

/// <summary>What became of a webhook delivery.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<DeliveryOutcome>))]
internal enum DeliveryOutcome
{
    /// <summary>A deployment was queued for it.</summary>
    Deployed,

    /// <summary>Taken, its work running after the answer (a preview made, updated or removed); failed if that work fails.</summary>
    Queued,

    /// <summary>Queued, and its work is done: a preview's deployment queued (how that deployment ends, `previews ls`
    /// shows, as `deployments` does for a push's "deployed"), or its removal finished.</summary>
    Done,

    /// <summary>Valid, and nothing to do (a ping, an unmapped branch, an event Slipway does not act on).</summary>
    Ignored,

    /// <summary>A delivery id seen before (a forge's retry or a person's redelivery): nothing done again.</summary>
    Duplicate,

    /// <summary>Not accepted: a bad or missing signature, a malformed payload.</summary>
    Refused,

    /// <summary>Valid, but the deployment could not be queued (its message says why).</summary>
    Failed,
}

/// <summary>One delivery as `slipway git deliveries` lists it.</summary>
internal sealed record DeliveryRecord(long Id, string App, string Forge, string? Delivery, string? Event, DateTimeOffset ReceivedAt,
    string Outcome, string? Detail, string? DeploymentId);
