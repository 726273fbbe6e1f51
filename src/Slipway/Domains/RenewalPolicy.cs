namespace Slipway.Domains;

/// <summary>What the issuer does next for a domain.</summary>
internal enum DomainAction
{
    /// <summary>Nothing: its certificate is good, or a manual one serves it.</summary>
    None,

    /// <summary>A failure's backoff (or the CA's Retry-After) has not passed yet.</summary>
    Wait,

    /// <summary>No certificate of its own serves it (or the one there does not cover all its names): order one.</summary>
    Issue,

    /// <summary>Its certificate reached its renewal time: order a replacement.</summary>
    Renew,

    /// <summary>Ask the CA's ACME Renewal Information whether to renew earlier.</summary>
    CheckRenewalInfo,
}

/// <summary>The certificate that serves a host right now, as the issuer needs to see it.</summary>
internal sealed record ServedCertificate(string Thumbprint, DateTimeOffset NotAfter, bool Development, IReadOnlyList<string> Names);

/// <summary>When to issue, renew and retry, as pure functions of the domain's record and the clock (tested exactly).
///
///   added ──► Issue ──ok──► renew at 2/3 of the lifetime (a little earlier, by jitter) ──► Renew ──ok──► ...
///               │                    ▲ the CA's renewal window (RFC 9773), read every 12 h, may bring it forward
///               └─fail─► Wait 1 min, 10 min, 1 h, 3 h, 6 h, 12 h, then daily (never sooner than Retry-After)
///
/// A certificate someone copied in (`certs add`) wins while it is valid: Slipway issues nothing for that host.</summary>
internal static class RenewalPolicy
{
    public static readonly TimeSpan RenewalInfoEvery = TimeSpan.FromHours(12);

    private static readonly TimeSpan[] Backoff =
    [
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10), TimeSpan.FromHours(1), TimeSpan.FromHours(3),
        TimeSpan.FromHours(6), TimeSpan.FromHours(12), TimeSpan.FromHours(24),
    ];

    public static DomainAction Decide(DomainRecord domain, ServedCertificate? served, DateTimeOffset now)
    {
        var ours = served is not null && !served.Development && served.Thumbprint == domain.AcmeThumbprint;
        if (served is { Development: false } && !ours && now < served.NotAfter)
        {
            return DomainAction.None; // manual
        }
        if (domain.NextAttemptAt is { } next && now < next)
        {
            return DomainAction.Wait;
        }
        if (!ours || !domain.Names.All(n => served!.Names.Contains(n, StringComparer.OrdinalIgnoreCase)))
        {
            return DomainAction.Issue;
        }
        if ((domain.RenewAt is { } renewAt && now >= renewAt) || now >= served!.NotAfter)
        {
            return DomainAction.Renew;
        }
        if (domain.AcmeCertId is not null && (domain.AriCheckedAt is not { } checkedAt || now - checkedAt >= RenewalInfoEvery))
        {
            return DomainAction.CheckRenewalInfo;
        }
        return DomainAction.None;
    }

    /// <summary>Two thirds into the lifetime, up to 2% of the lifetime earlier by <paramref name="jitter"/> in [0, 1),
    /// so certificates issued together do not all renew in the same minute.</summary>
    public static DateTimeOffset RenewAt(DateTimeOffset notBefore, DateTimeOffset notAfter, double jitter)
    {
        var lifetime = notAfter - notBefore;
        return notBefore + lifetime * 2 / 3 - lifetime * 0.02 * jitter;
    }

    /// <summary>A random moment in the CA's suggested window (RFC 9773 §4.2); at once when it already ended.
    /// Never later than <paramref name="planned"/>: the window only brings a renewal forward.</summary>
    public static DateTimeOffset InWindow(DateTimeOffset start, DateTimeOffset end, double random, DateTimeOffset now, DateTimeOffset planned)
    {
        if (end <= now)
        {
            return now;
        }
        var from = start < now ? now : start;
        var at = from + (end - from) * random;
        return at < planned ? at : planned;
    }

    /// <summary>When to try again after the <paramref name="failures"/>th consecutive failure (1 for the first): the
    /// backoff step with ±10% jitter, and never before the CA's Retry-After.</summary>
    public static DateTimeOffset NextAttempt(int failures, DateTimeOffset now, TimeSpan? retryAfter, double jitter)
    {
        var step = Backoff[Math.Clamp(failures - 1, 0, Backoff.Length - 1)];
        var wait = step * (0.9 + 0.2 * jitter);
        if (retryAfter is { } asked && asked > wait)
        {
            wait = asked;
        }
        return now + wait;
    }
}
