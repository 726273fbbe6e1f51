using System.Text.RegularExpressions;

namespace Slipway.Deploy;

/// <summary>An app's environments. Production is the app itself; any other environment ENV of APP is kept
/// under the name APP-ENV, which is also its default hostname (APP-ENV.localhost).</summary>
internal static partial class AppEnvironments
{
    public const string Production = "production";

    [GeneratedRegex("^[a-z][a-z0-9]{0,19}$")]
    private static partial Regex Name();

    public static string Key(string app, string? env)
    {
        env ??= Production;
        if (!Name().IsMatch(env))
        {
            throw new UserException($"'{env}' is not a valid environment name: use 1-20 lowercase letters and digits, starting with a letter (like staging or qa).");
        }
        return env == Production ? app : $"{app}-{env}";
    }
}
