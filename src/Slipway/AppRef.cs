using System.Text.RegularExpressions;

namespace Slipway;

/// <summary>Which app environment something is about, from the API to the store: the app the user named, the
/// environment, and the key both share in the store. Production is the app itself; any other environment ENV of
/// APP is kept under the key APP-ENV, which is also its default hostname (APP-ENV.localhost).</summary>
internal readonly partial record struct AppRef(string App, string Env)
{
    public const string Production = "production";

    /// <summary>The environment's row key in the store (and its default hostname's first label).</summary>
    public string Key => Env == Production ? App : $"{App}-{Env}";

    public bool IsProduction => Env == Production;

    /// <summary>The app's production environment.</summary>
    public static AppRef Of(string app) => new(app, Production);

    /// <summary>Environment <paramref name="env"/> (default production) of <paramref name="app"/>; a malformed
    /// environment name is the user's to fix.</summary>
    public static AppRef Of(string app, string? env)
    {
        env ??= Production;
        if (!EnvName().IsMatch(env))
        {
            throw new UserException($"'{env}' is not a valid environment name: use 1-20 lowercase letters and digits, starting with a letter (like staging or qa); " +
                "pr-N names a pull request's preview.");
        }
        return new AppRef(app, env);
    }

    /// <summary>"shop" or "shop (staging)", for messages.</summary>
    public override string ToString() => IsProduction ? App : $"{App} ({Env})";

    /// <summary>The CLI flags that name this environment: "--app shop" or "--app shop --env staging".</summary>
    public string Flags => IsProduction ? $"--app {App}" : $"--app {App} --env {Env}";

    /// <summary>Whether this is the preview environment of a pull request (pr-N).</summary>
    public bool IsPreview => Env.StartsWith("pr-", StringComparison.Ordinal);

    /// <summary>Lowercase letters and digits, or a pull request's preview: pr-N.</summary>
    [GeneratedRegex("^(?:[a-z][a-z0-9]{0,19}|pr-[1-9][0-9]{0,6})$")]
    private static partial Regex EnvName();
}
