using System.Text.RegularExpressions;

namespace Slipway.Deploy;

internal static partial class AppNames
{
    [GeneratedRegex("^[a-z][a-z0-9-]{0,39}$")]
    private static partial Regex AppName();

    [GeneratedRegex(@"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")]
    private static partial Regex HostName();

    public static void Validate(string app)
    {
        if (!AppName().IsMatch(app))
        {
            throw new UserException($"'{app}' is not a valid app name: use 1-40 lowercase letters, digits and dashes, starting with a letter (it becomes {app.ToLowerInvariant()}.localhost).");
        }
    }

    public static void ValidateHost(string host)
    {
        if (!HostName().IsMatch(host.ToLowerInvariant()))
        {
            throw new UserException($"'{host}' is not a valid hostname for --host: give a name like shop.example.com (no scheme, port or path).");
        }
    }
}
