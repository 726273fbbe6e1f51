using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Slipway.Domains.Acme;

/// <summary>The words of every <see cref="AcmeException"/>: what failed, why (the CA's problem type turned into a
/// cause this machine's owner can act on), what to do, and the CA's own detail. Pure: tests check the words.</summary>
internal static class AcmeErrorMessages
{
    // How CAs word a name that does not resolve, inside a "connection" problem.
    private static readonly string[] DnsWords = ["could not resolve", "NXDOMAIN", "no valid A", "DNS problem", "no such host"];

    /// <summary>A problem the CA answered with. <paramref name="doing"/> says what was being done ("ordering a
    /// certificate for a.example"); <paramref name="host"/> is the name being validated, when it is one.</summary>
    public static string Describe(string doing, AcmeProblem problem, string? host, TimeSpan? retryAfter, DateTimeOffset now)
    {
        var parts = new List<string>();
        if (problem.Subproblems.Count > 0)
        {
            parts.AddRange(problem.Subproblems.Select(sub => Cause(sub, sub.Identifier ?? host, retryAfter, now)));
        }
        else
        {
            parts.Add(Cause(problem, problem.Identifier ?? host, retryAfter, now));
        }
        return $"ACME: {doing} failed: {string.Join(" ", parts)}";
    }

    /// <summary>The CA could not be reached, or answered something that is not ACME.</summary>
    public static string Unreachable(Uri directory, string what) =>
        $"ACME: the CA at {directory.OriginalString} could not be reached: {what}. Check the directory URL (slipway acme set --directory) " +
        "and that this machine can open HTTPS connections to it; nothing that is served stops meanwhile.";

    /// <summary>What failed in a request that got no answer, in words (no URL query, no body).</summary>
    public static string WhatFailed(Exception e) => e switch
    {
        TaskCanceledException or TimeoutException => "it did not answer in time",
        HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "its host name does not resolve",
        HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } h when h.InnerException is AuthenticationException =>
            "the TLS handshake failed (its certificate is not trusted here, or TLS is not spoken on that port)",
        HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => "the TLS handshake failed",
        HttpRequestException { InnerException: SocketException s } => s.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "the connection was refused (nothing listens there)",
            SocketError.TimedOut => "the connection timed out (a firewall may drop it)",
            SocketError.HostUnreachable or SocketError.NetworkUnreachable => "the network is unreachable from this machine",
            _ => $"the connection failed ({s.SocketErrorCode})",
        },
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => "the connection failed",
        HttpRequestException h => $"the request failed ({h.HttpRequestError})",
        _ => e.GetType().Name,
    };

    private static string Cause(AcmeProblem problem, string? host, TimeSpan? retryAfter, DateTimeOffset now)
    {
        var name = host ?? "the name";
        var said = string.IsNullOrWhiteSpace(problem.Detail) ? "" : $" (the CA said: {problem.Detail.Trim()})";
        var cause = Kind(problem, host) switch
        {
            "dns" => $"{name} does not resolve for the CA. Point an A or AAAA record of {name} at this machine, " +
                $"wait for it to propagate, and try again.",
            "caa" => $"a CAA record of {name} forbids this CA to issue for it. Add a CAA record allowing this CA " +
                "(for Let's Encrypt: 0 issue \"letsencrypt.org\") or remove the one that forbids it.",
            "connection" => $"the CA could not reach port 80/443 of this machine for {name}. Check the firewall (and any cloud " +
                $"security group) lets the internet in on ports 80 and 443, and that DNS for {name} points at this machine.",
            "tls" => $"the CA's TLS connection to port 443 of this machine for {name} failed. Check that port 443 reaches " +
                $"this machine directly (no TLS-terminating proxy or CDN in front) and that DNS for {name} points here.",
            "incorrectResponse" or "unauthorized" when host is not null =>
                $"the answer the CA fetched for {name} was not this machine's. Check that DNS for {name} points at this machine " +
                "(not an old server, a proxy or a CDN) and that nothing else answers the challenge (/.well-known/acme-challenge/ on port 80, " +
                "acme-tls/1 on port 443).",
            "eab" => "the CA refused the External Account Binding: the key id or the HMAC key is not one it issued, or was used already. " +
                "Set them again exactly as the CA shows them (slipway acme set --eab-kid ID, the HMAC key on stdin).",
            "unauthorized" => "the CA refused this account for the request. Check the account key and its External Account Binding.",
            "rateLimited" => retryAfter is { } wait
                ? $"the CA's rate limit is reached; retry after {UtcTime.Format(now + wait)} (in {Durations.Format(RoundUp(wait))})."
                : "the CA's rate limit is reached; retry later (the CA gave no time).",
            "rejectedIdentifier" or "unsupportedIdentifier" => $"the CA will not issue for {name}: its policy refuses this name. Use a name it accepts.",
            "externalAccountRequired" => "this CA requires External Account Binding: give the key id and HMAC key of your account " +
                "with the CA (slipway acme set --eab-kid ID, the HMAC key on stdin).",
            "invalidContact" or "unsupportedContact" => "the CA refuses the contact address. Give a valid email address (slipway acme set --email).",
            "accountDoesNotExist" => "the CA has no account for this key. Register a new account.",
            "userActionRequired" => "the CA needs you to act first (new terms of service or a verification); see its detail.",
            "badNonce" => "the CA refused the request's nonce again after a retry; try again.",
            "alreadyRevoked" => "the certificate is already revoked.",
            "serverInternal" => "the CA had an internal error; try again later.",
            "badCSR" or "badSignatureAlgorithm" or "malformed" or "badPublicKey" => $"the CA refused the request as malformed ({problem.ShortType}); this is a bug in Slipway's ACME client.",
            _ => $"the CA refused the request ({problem.ShortType ?? "no problem type"}).",
        };
        return cause + said;
    }

    /// <summary>The problem type, with two corrections from the CA's detail: a validation that failed because the name
    /// did not resolve is a DNS problem (Pebble reports it as connection or malformed; Let's Encrypt says "dns"), and
    /// an unauthorized newAccount that names the external account binding is an EAB problem.</summary>
    private static string? Kind(AcmeProblem problem, string? host)
    {
        var detail = problem.Detail ?? "";
        if (host is not null && problem.ShortType is "connection" or "malformed"
            && DnsWords.Any(word => detail.Contains(word, StringComparison.OrdinalIgnoreCase)))
        {
            return "dns";
        }
        if (problem.ShortType == "unauthorized" && detail.Contains("external account", StringComparison.OrdinalIgnoreCase))
        {
            return "eab";
        }
        return problem.ShortType;
    }

    private static TimeSpan RoundUp(TimeSpan wait) => TimeSpan.FromSeconds(Math.Ceiling(wait.TotalSeconds));
}
