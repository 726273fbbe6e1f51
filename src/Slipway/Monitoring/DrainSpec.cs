using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace Slipway.Monitoring;

/// <summary>A log drain as the user declared it (`slipway drains add`), checked whole: every mistake is reported at
/// once, with what to write instead, and no message repeats a secret. <see cref="Scope"/> is the app environment whose
/// lines it ships; null: every app's (a platform-wide drain).</summary>
/// <param name="Url">The destination; the whole URL is a secret (credentials in its user info, a token in its path
/// or query are common), so it is sealed at rest and shown only as <see cref="Destination"/>.</param>
/// <param name="CaPem">PEM certificates to trust for this drain's TLS besides the system's roots (a private CA, or
/// the receiver's self-signed certificate itself).</param>
internal sealed partial record DrainSpec(string Name, AppRef? Scope, DrainKind Kind, Uri Url, IReadOnlyList<DrainHeader> Headers, bool Access,
    bool Gzip, string? CaPem)
{
    private static readonly HashSet<string> SetBySlipway = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Type", "Content-Length", "Content-Encoding", "Transfer-Encoding", "Host", "Connection",
    };

    /// <summary>How `drains ls` shows the destination: scheme, host and port; user info, path and query masked.</summary>
    public string Destination => Mask(Url);

    public static DrainSpec Parse(string? name, AppRef? scope, string? url, string? syslog, IReadOnlyList<string>? headers, bool access, bool gzip,
        string? caPem)
    {
        var errors = new List<string>();
        if (name is null || !DrainName().IsMatch(name))
        {
            errors.Add($"The drain name '{name}' cannot be used: give 1-40 lowercase letters, digits and dashes, starting with a letter (like papertrail or logs-eu).");
        }
        Uri? destination = null;
        var kind = DrainKind.Https;
        if ((url is null) == (syslog is null))
        {
            errors.Add("Give one destination: --url https://HOST/PATH (NDJSON batches over HTTPS) or --syslog tls://HOST:PORT (RFC 5424 syslog; tcp:// unencrypted).");
        }
        else if (url is not null)
        {
            destination = ParseUrl(url, errors);
        }
        else
        {
            kind = DrainKind.Syslog;
            destination = ParseSyslog(syslog!, errors);
        }
        var parsedHeaders = new List<DrainHeader>();
        for (var i = 0; i < (headers?.Count ?? 0); i++)
        {
            if (ParseHeader(headers![i], i + 1, errors) is { } header)
            {
                parsedHeaders.Add(header);
            }
        }
        if (kind == DrainKind.Syslog && parsedHeaders.Count > 0)
        {
            errors.Add("--header is for --url drains: syslog has no headers (put a token in the receiver's address instead, if it asks for one).");
        }
        if (kind == DrainKind.Syslog && gzip)
        {
            errors.Add("--gzip is for --url drains: syslog frames are sent as they are.");
        }
        if (caPem is not null)
        {
            CheckCa(caPem, errors);
        }
        if (errors.Count > 0)
        {
            throw new UserException(string.Join("\n", errors));
        }
        return new DrainSpec(name!, scope, kind, destination!, parsedHeaders, access, gzip, caPem);
    }

    /// <summary>scheme://host:port, with "***@" for user info and "/***" for a path or query: enough to recognize the
    /// receiver, nothing that lets someone else write to it.</summary>
    public static string Mask(Uri url)
    {
        var masked = url.Scheme + "://" + (url.UserInfo.Length > 0 ? "***@" : "") + url.Authority;
        return url.PathAndQuery is "/" or "" ? masked : masked + "/***";
    }

    private static Uri? ParseUrl(string url, List<string> errors)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Host.Length == 0)
        {
            errors.Add("--url must be an absolute https:// URL, like https://logs.example.com/ingest.");
            return null;
        }
        if (uri.Scheme == "http" && !uri.IsLoopback)
        {
            errors.Add($"--url {Mask(uri)}: a drain sends your app's output, so it must use https://. Plain http:// is allowed only to 127.0.0.1 or localhost (a receiver on this machine).");
            return null;
        }
        if (uri.Fragment.Length > 0)
        {
            errors.Add($"--url {Mask(uri)}: a #fragment is never sent to the receiver; leave it out.");
            return null;
        }
        return uri;
    }

    private static Uri? ParseSyslog(string syslog, List<string> errors)
    {
        if (!Uri.TryCreate(syslog, UriKind.Absolute, out var uri) || uri.Scheme is not ("tls" or "tcp") || uri.Host.Length == 0)
        {
            errors.Add("--syslog must be tls://HOST:PORT (RFC 5425, encrypted) or tcp://HOST:PORT (RFC 6587, plain), like tls://logs.example.com:6514.");
            return null;
        }
        if (uri.Port is <= 0 or > 65535)
        {
            errors.Add($"--syslog {uri.Scheme}://{uri.Host} needs a port: {uri.Scheme}://{uri.Host}:{(uri.Scheme == "tls" ? 6514 : 601)} is the usual one.");
            return null;
        }
        if (uri.UserInfo.Length > 0 || uri.PathAndQuery is not ("/" or "") || uri.Fragment.Length > 0)
        {
            errors.Add($"--syslog takes HOST:PORT only ({uri.Scheme}://{uri.Host}:{uri.Port}), no user, path or query.");
            return null;
        }
        return uri;
    }

    private static DrainHeader? ParseHeader(string header, int number, List<string> errors)
    {
        var colon = header.IndexOf(':', StringComparison.Ordinal);
        var name = colon > 0 ? header[..colon].Trim() : "";
        var value = colon > 0 ? header[(colon + 1)..].Trim() : "";
        // The value is a secret: messages name the header by its name or its position, never by what it holds.
        if (!HeaderName().IsMatch(name) || value.Length == 0)
        {
            errors.Add($"--header number {number} must read 'Name: value', like --header \"Authorization: Bearer TOKEN\".");
            return null;
        }
        if (value.AsSpan().ContainsAny('\r', '\n', '\0'))
        {
            errors.Add($"--header {name}: its value cannot hold line breaks.");
            return null;
        }
        if (SetBySlipway.Contains(name))
        {
            errors.Add($"--header {name} is set by Slipway (NDJSON, optionally gzipped); leave it out.");
            return null;
        }
        return new DrainHeader(name, value);
    }

    private static void CheckCa(string pem, List<string> errors)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            errors.Add($"--ca: not PEM certificates ({e.Message}). Give the file that holds -----BEGIN CERTIFICATE----- blocks.");
            return;
        }
        if (roots.Count == 0)
        {
            errors.Add("--ca holds no certificate. Give the PEM file of the receiver's CA (or of its self-signed certificate).");
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,39}$")]
    private static partial Regex DrainName();

    // RFC 9110 §5.6.2 token.
    [GeneratedRegex("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]
    private static partial Regex HeaderName();
}
