using System.Text.Json.Serialization;

namespace Slipway.Errors;

/// <summary>Where an issue is in its triage: unresolved (new or regressed), resolved (in a release; seen again in a
/// later one it regresses), ignored (events are still counted, nothing alerts).</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<IssueStatus>))]
internal enum IssueStatus
{
    Unresolved,
    Resolved,
    Ignored,
}
