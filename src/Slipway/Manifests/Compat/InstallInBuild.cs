using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Slipway.Manifests.Compat;

/// <summary>Other platforms' build commands often start by installing dependencies (Render's usual
/// "npm install &amp;&amp; npm run build", "npm ci &amp;&amp; npm run build" in a railway.json). Slipway installs before it
/// builds (the service's "install", detected when omitted), so left in the build the install would run twice.
/// The install part moves to "install" when the file declared none (it runs once, as the team wrote it: npm ci
/// or npm install, yarn or pnpm); when the file declared an install too, it is left out of the build, with a
/// warning. What follows the "&amp;&amp;" stays the build; nothing left means no build, as on the other platform.
/// </summary>
internal static partial class InstallInBuild
{
    public static void Split(Conversion conversion, JsonObject service, string file, string key)
    {
        if (service["build"] is not JsonValue value || !value.TryGetValue<string>(out var build)
            || Parse(build) is not { } split)
            return;

        var (install, rest) = split;

        if (!service.ContainsKey("install"))
            conversion.Set(service, "install", install, new SourceValue(file, key, build, Derived: true));
        else if (service["install"] is JsonValue declared && declared.TryGetValue<string>(out var existing)
                 && !string.IsNullOrWhiteSpace(existing))
            conversion.Warn(file, key, $"starts with \"{install}\", which the install command (\"{existing}\") does before " +
                                       "the build already; Slipway leaves it out of the build so it runs once");
        else
            return; // an install declared as none: the build's own is the only one, leave it there

        service["build"] = rest;
    }

    /// <summary>The plain install at the start of <paramref name="build"/> and what follows it (null when nothing
    /// does): ("npm ci", "npm run build") for "npm ci &amp;&amp; npm run build"; null when it does not start with one.</summary>
    public static (string Install, string? Build)? Parse(string build)
    {
        var and = build.IndexOf("&&", StringComparison.Ordinal);
        var install = (and < 0 ? build : build[..and]).Trim();
        if (!Install().IsMatch(install))
            return null;
        var rest = and < 0 ? "" : build[(and + 2)..].Trim();
        return (install, rest.Length == 0 ? null : rest);
    }

    /// <summary>npm ci, npm install (npm i), yarn (install), pnpm install (pnpm i), with options only: "npm install
    /// left-pad" adds a package and is not the plain install.</summary>
    [GeneratedRegex(@"^(npm +(ci|install|i)|yarn( +install)?|pnpm +(install|i))( +-[^\s&|;<>]+)*$")]
    private static partial Regex Install();
}
