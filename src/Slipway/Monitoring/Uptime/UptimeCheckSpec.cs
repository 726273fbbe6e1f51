using System.Text.RegularExpressions;

namespace Slipway.Monitoring.Uptime;

/// <summary>A check a user adds (`uptime add URL`), validated whole: its URL (http or https, any host, no
/// credentials: a check's URL is shown in `uptime ls`, alerts and status pages), its name (given, or made from the
/// URL's host) and its settings.</summary>
internal sealed partial record UptimeCheckSpec(string Name, Uri Url, AppRef? Scope, TimeSpan? Every, UptimeExpectation? Expect, TimeSpan? Timeout, double? Slo)
{
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$")]
    private static partial Regex NamePattern();

    public static UptimeCheckSpec Parse(string? url, string? name, AppRef? scope, UptimeSettings settings, UptimeOptions options)
    {
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") ||
            uri.Host.Length == 0)
        {
            throw new UserException($"'{url}' is not a URL to check: give one like https://shop.example.com/health.");
        }
        if (uri.UserInfo.Length > 0)
        {
            throw new UserException("Put no credentials in a check's URL: it is shown in 'uptime ls', alerts and status pages.");
        }
        name = string.IsNullOrEmpty(name) ? NameFor(uri) : name;
        if (!NamePattern().IsMatch(name))
        {
            throw new UserException($"--name {name}: use 1-40 lowercase letters, digits and dashes, like shop-home.");
        }
        if (settings.Path is not null)
        {
            throw new UserException("--path is for an app's default check; a check you add has its path in its URL.");
        }
        var (every, expect, timeout, slo, _) = settings.Parse(options);
        return new UptimeCheckSpec(name, uri, scope, every, expect, timeout, slo);
    }

    /// <summary>"shop.example.com" → "shop-example-com".</summary>
    private static string NameFor(Uri url)
    {
        var name = NonName().Replace(url.Host.ToLowerInvariant(), "-").Trim('-');
        name = name.Length > 40 ? name[..40].TrimEnd('-') : name;
        return name.Length == 0 ? "check" : name;
    }

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonName();
}
