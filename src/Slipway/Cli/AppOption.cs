using System.CommandLine;

namespace Slipway.Cli;

internal static class AppOption
{
    public static Option<string> Required() => new("--app", "-a") { Description = "The app's name", Required = true };

    public static Option<string> Optional(string description) => new("--app", "-a") { Description = description };
}
