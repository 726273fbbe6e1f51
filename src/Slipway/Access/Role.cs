using System.Text.Json.Serialization;

namespace Slipway.Access;

/// <summary>What a user or token may do, in increasing order: each role can do everything of the ones below it
/// (<see cref="AccessMatrix"/>). Granted globally, for an app, or for one environment of an app.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<Role>))]
internal enum Role
{
    Viewer = 1,
    Deployer = 2,
    Admin = 3,
    Owner = 4,
}
