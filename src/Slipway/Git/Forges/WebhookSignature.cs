using System.Security.Cryptography;
using System.Text;

namespace Slipway.Git.Forges;

/// <summary>Proves a webhook came from the forge that holds its secret, before anything in the body is believed:
/// - GitHub: X-Hub-Signature-256 is "sha256=" and the hex HMAC-SHA256 of the body keyed with the secret;
/// - GitLab: X-Gitlab-Token is the secret itself (GitLab does not sign bodies);
/// - Gitea and Forgejo: X-Gitea-Signature or X-Forgejo-Signature is the hex HMAC-SHA256, without a prefix.
/// Every comparison takes the same time whatever it compares (CryptographicOperations.FixedTimeEquals), so timing
/// tells a sender nothing of the secret; hex is read in either case. The headers come through a lookup so this stays
/// free of ASP.NET: <c>name => request.Headers[name].FirstOrDefault()</c>.</summary>
internal static class WebhookSignature
{
    public const string GithubHeader = "X-Hub-Signature-256";
    public const string GitlabHeader = "X-Gitlab-Token";
    public const string GiteaHeader = "X-Gitea-Signature";
    public const string ForgejoHeader = "X-Forgejo-Signature";

    private const string GithubPrefix = "sha256=";

    public static SignatureCheck Verify(Forge forge, Func<string, string?> header, ReadOnlySpan<byte> body, string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        switch (forge)
        {
            case Forge.Github:
                var github = Value(header, GithubHeader);
                return github is null ? new(SignatureVerdict.Missing, GithubHeader)
                    : Check(GithubHeader, github.StartsWith(GithubPrefix, StringComparison.Ordinal) && HmacMatches(github.AsSpan(GithubPrefix.Length), body, secret));
            case Forge.Gitlab:
                var token = Value(header, GitlabHeader);
                return token is null ? new(SignatureVerdict.Missing, GitlabHeader) : Check(GitlabHeader, TokenMatches(token, secret));
            case Forge.Gitea:
                var (name, signature) = Value(header, GiteaHeader) is { } gitea ? (GiteaHeader, gitea) : (ForgejoHeader, Value(header, ForgejoHeader));
                return signature is null ? new(SignatureVerdict.Missing, $"{GiteaHeader} or {ForgejoHeader}") : Check(name, HmacMatches(signature, body, secret));
            default:
                throw new ArgumentOutOfRangeException(nameof(forge), forge, null);
        }
    }

    private static SignatureCheck Check(string header, bool matches) => new(matches ? SignatureVerdict.Valid : SignatureVerdict.Invalid, header);

    /// <summary>A header's value, or null when it is absent or blank (a forge sends no signature without a secret).</summary>
    private static string? Value(Func<string, string?> header, string name) => header(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static bool HmacMatches(ReadOnlySpan<char> hex, ReadOnlySpan<byte> body, string secret)
    {
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body, expected);
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        // Not hex, or not 32 bytes of it, is simply not the signature; only the comparison of equal-length digests
        // has to take constant time.
        return hex.Length == 2 * given.Length &&
               Convert.FromHexString(hex, given, out _, out var written) == System.Buffers.OperationStatus.Done &&
               written == given.Length &&
               CryptographicOperations.FixedTimeEquals(expected, given);
    }

    /// <summary>Compares digests of the two, not the strings: equal lengths make the comparison constant-time and do
    /// not tell a sender how long the secret is.</summary>
    private static bool TokenMatches(string token, string secret) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(token)), SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
