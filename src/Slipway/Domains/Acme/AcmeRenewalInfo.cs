namespace Slipway.Domains.Acme;

/// <summary>What a CA suggests for renewing one certificate (RFC 9773): renew at a random time inside
/// [<see cref="WindowStart"/>, <see cref="WindowEnd"/>]; <see cref="ExplanationUrl"/> says why when the CA moved the
/// window (a revocation, an incident). <see cref="RetryAfter"/> is when to ask again (the CA's Retry-After).</summary>
internal sealed record AcmeRenewalInfo(DateTimeOffset WindowStart, DateTimeOffset WindowEnd, Uri? ExplanationUrl, TimeSpan? RetryAfter);
