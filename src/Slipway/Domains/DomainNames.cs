using System.Net;
using System.Text.RegularExpressions;

namespace Slipway.Domains;

/// <summary>What may be a custom domain: a public DNS name a CA can issue for over HTTP-01, said precisely when
/// it is not.</summary>
internal static partial class DomainNames
{
    [GeneratedRegex(@"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")]
    private static partial Regex PublicName();

    /// <summary>The name lowercased without a trailing dot, or a user error saying what is wrong and what to do.</summary>
    public static string Normalize(string input, string platformHost)
    {
        var host = input.Trim().TrimEnd('.').ToLowerInvariant();
        if (host.Length == 0)
        {
            throw new UserException("Give the domain, like: slipway domains add shop.example.com --app shop");
        }
        if (host.Contains("://", StringComparison.Ordinal) || host.Contains('/') || host.Contains('@'))
        {
            throw new UserException($"'{input}' is a URL, not a domain: give the host name alone, like shop.example.com (no scheme, port or path).");
        }
        if (IPAddress.TryParse(host.Trim('[', ']'), out _))
        {
            throw new UserException($"'{input}' is an IP address. Certificate authorities issue for domain names: point a name's A/AAAA record at " +
                "this machine and add that name.");
        }
        if (host.StartsWith("*.", StringComparison.Ordinal))
        {
            throw new UserException($"'{input}' is a wildcard. A wildcard certificate needs the DNS-01 challenge, which Slipway does not answer: " +
                "add each name (slipway domains add shop.example.com --app shop), or copy in a wildcard certificate you got elsewhere " +
                $"(slipway certs add '{host}' --cert fullchain.pem --key privkey.pem).");
        }
        if (host.Contains(':'))
        {
            throw new UserException($"'{input}' has a port. Give the host name alone: the edge answers it on its HTTP and HTTPS ports.");
        }
        if (host == "localhost" || host.EndsWith(".localhost", StringComparison.Ordinal))
        {
            throw new UserException($"{host} is a local development name: every app already answers APP.localhost, served over HTTPS by the " +
                "platform's development CA (slipway ca trust). A domain is a public name, like shop.example.com.");
        }
        if (!PublicName().IsMatch(host))
        {
            throw new UserException($"'{input}' is not a valid domain name: use labels of letters, digits and dashes separated by dots, " +
                "with at least one dot, like shop.example.com.");
        }
        if (string.Equals(host, platformHost, StringComparison.OrdinalIgnoreCase))
        {
            throw new UserException($"{host} is the platform's own hostname (its API and logins); an app cannot take it.");
        }
        return host;
    }
}
