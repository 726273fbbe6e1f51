using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Slipway.Edge.Tls;

/// <summary>Host names as the certificate store sees them: lower case, no trailing dot, a wildcard only as the
/// whole first label (<c>*.example.com</c>). On disk a wildcard host's directory is <c>_wildcard.example.com</c>
/// (the name ACME clients use, since <c>*</c> is awkward in paths).</summary>
internal static class HostNames
{
    public const string WildcardDirectoryPrefix = "_wildcard.";

    /// <summary>Lower case without a trailing dot; null when the name cannot be a certificate host.</summary>
    public static string? Normalize(string? host)
    {
        if (string.IsNullOrWhiteSpace(host))
        {
            return null;
        }
        var name = host.Trim().TrimEnd('.').ToLowerInvariant();
        if (name.Length is 0 or > 253)
        {
            return null;
        }
        var labels = name.Split('.');
        for (var i = 0; i < labels.Length; i++)
        {
            var label = labels[i];
            if (label == "*" && i == 0 && labels.Length > 2)
            {
                continue;
            }
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-' || !label.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return null;
            }
        }
        return name;
    }

    public static bool IsWildcard(string host) => host.StartsWith("*.", StringComparison.Ordinal);

    public static string ToDirectoryName(string host) => IsWildcard(host) ? WildcardDirectoryPrefix + host[2..] : host;

    /// <summary>The host a directory under certs/ stands for; null for anything else (the development
    /// certificate's directory, temp files, names that are not hosts).</summary>
    public static string? FromDirectoryName(string directory)
    {
        var host = directory.StartsWith(WildcardDirectoryPrefix, StringComparison.OrdinalIgnoreCase)
            ? "*." + directory[WildcardDirectoryPrefix.Length..]
            : directory;
        return Normalize(host);
    }

    /// <summary>Names the development certificate answers: localhost and its subdomains, no SNI, an IP.</summary>
    public static bool IsDevelopment(ReadOnlySpan<char> serverName) =>
        serverName.IsEmpty
        || serverName.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || serverName.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
        || IPAddress.TryParse(serverName, out _);

    /// <summary>DNS names a certificate is for: its subject alternative names, or its CN when it has none.</summary>
    public static IReadOnlyList<string> DnsNamesOf(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames().Select(n => n.ToLowerInvariant()));
                names.AddRange(san.EnumerateIPAddresses().Select(ip => ip.ToString()));
            }
        }
        if (names.Count == 0 && certificate.GetNameInfo(X509NameType.DnsName, forIssuer: false) is { Length: > 0 } cn)
        {
            names.Add(cn.ToLowerInvariant());
        }
        return names;
    }

    /// <summary>Whether a certificate name covers a host: the same name, or a wildcard name covering exactly one
    /// label (<c>*.example.com</c> covers <c>a.example.com</c> and <c>*.example.com</c>, not <c>example.com</c>
    /// or <c>a.b.example.com</c>).</summary>
    public static bool Covers(string certificateName, string host)
    {
        if (string.Equals(certificateName, host, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        if (!IsWildcard(certificateName))
        {
            return false;
        }
        var dot = host.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && !IsWildcard(host) && host.AsSpan(dot + 1).Equals(certificateName.AsSpan(2), StringComparison.OrdinalIgnoreCase);
    }
}
