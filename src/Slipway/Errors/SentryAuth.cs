namespace Slipway.Errors;

/// <summary>The DSN's public key as SDKs send it: <c>X-Sentry-Auth: Sentry sentry_key=KEY, sentry_version=7, …</c>
/// (or the same in Authorization), <c>?sentry_key=KEY</c> (browsers), or inside the DSN an envelope names (a tunnel).</summary>
internal static class SentryAuth
{
    public static string? KeyOf(string? authHeader, string? authorization, string? querySentryKey) =>
        FromHeader(authHeader) ?? FromHeader(authorization) ?? (string.IsNullOrWhiteSpace(querySentryKey) ? null : querySentryKey.Trim());

    private static string? FromHeader(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }
        var text = header.Trim();
        if (text.StartsWith("Sentry ", StringComparison.OrdinalIgnoreCase))
        {
            text = text[7..];
        }
        foreach (var part in text.Split(','))
        {
            var equals = part.IndexOf('=');
            if (equals > 0 && part[..equals].Trim().Equals("sentry_key", StringComparison.OrdinalIgnoreCase))
            {
                return part[(equals + 1)..].Trim() is { Length: > 0 } key ? key : null;
            }
        }
        return null;
    }

    /// <summary>A DSN's project id and public key: <c>http://KEY@HOST/PROJECT</c>.</summary>
    public static (long Project, string Key)? ParseDsn(string? dsn)
    {
        if (dsn is null || !Uri.TryCreate(dsn, UriKind.Absolute, out var uri) || uri.UserInfo.Length == 0)
        {
            return null;
        }
        var key = uri.UserInfo.Split(':')[0];
        var last = uri.AbsolutePath.TrimEnd('/').Split('/')[^1];
        return long.TryParse(last, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var project) && key.Length > 0
            ? (project, key)
            : null;
    }
}
