using System.Text.Json.Serialization;

namespace Slipway.Git.Forges;

/// <summary>Valid; Missing (no signature or token at all: the webhook on the forge has no secret); Invalid (present but
/// wrong, malformed included: another secret, or a body changed on the way).</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<SignatureVerdict>))]
internal enum SignatureVerdict
{
    Valid,
    Missing,
    Invalid,
}
