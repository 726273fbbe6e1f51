using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Slipway.Domains.Acme;

internal sealed partial class AcmeClient
{
    /// <summary>Gets a certificate for <paramref name="hosts"/> from start to end:
    ///
    ///   (before: the account, EnsureAccountAsync or a known AccountUrl)
    ///   newOrder (replaces) ─► each authorization: pending?
    ///        └─► choose http-01 (else tls-alpn-01) ─► solver.Present ─► respond ─► poll ─► solver.Cleanup (always)
    ///   order ready ─► new P-256 key + CSR ─► finalize ─► poll ─► download the chain ─► AcmeCertificate
    ///
    /// A failed validation throws an <see cref="AcmeException"/> that names the cause the CA found (dns, caa,
    /// connection, a wrong answer...) and the fix.</summary>
    public async Task<AcmeCertificate> IssueAsync(IReadOnlyList<string> hosts, IAcmeChallengeSolver solver, string? replacesCertId, CancellationToken cancellationToken)
    {
        RequireAccount();
        var order = await NewOrderAsync(hosts, replacesCertId, cancellationToken);
        foreach (var authorization in order.Authorizations)
        {
            await AuthorizeAsync(authorization, solver, cancellationToken);
        }
        if (order.Status != AcmeStatus.Ready)
        {
            order = await WaitForOrderAsync(order.Url, cancellationToken);
        }
        if (order.Status != AcmeStatus.Ready)
        {
            throw OrderFailed(order, "validating");
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        order = await FinalizeAsync(order, AcmeCsr.Create(order.Identifiers.Count > 0 ? order.Identifiers : hosts, key), cancellationToken);
        if (order.Status != AcmeStatus.Valid)
        {
            order = await WaitForOrderAsync(order.Url, cancellationToken);
        }
        if (order is not { Status: AcmeStatus.Valid, Certificate: { } certificateUrl })
        {
            throw OrderFailed(order, "finalizing");
        }

        var chain = await DownloadCertificateAsync(certificateUrl, cancellationToken);
        using var leaf = FirstCertificate(chain);
        using (var leafKey = leaf.GetECDsaPublicKey())
        {
            if (leafKey is null || !SamePublicKey(leafKey, key))
            {
                throw new AcmeException($"ACME: {Ca} sent a certificate for another key than the one of this order's request; it was not kept.", null);
            }
        }
        var issued = new AcmeCertificate(chain, key.ExportPkcs8PrivateKeyPem(),
            new DateTimeOffset(leaf.NotBefore.ToUniversalTime()), new DateTimeOffset(leaf.NotAfter.ToUniversalTime()), AcmeCertificateId.Of(leaf));
        LogIssued(hosts, issued.NotAfter, issued.CertificateId);
        return issued;
    }

    /// <summary>The account of <see cref="AccountKey"/>: the known URL, else the CA's existing account for the key, else a
    /// new one (agreeing to the CA's terms of service).</summary>
    public async Task<string> EnsureAccountAsync(IReadOnlyList<string> contactEmails, AcmeExternalAccountBinding? binding, CancellationToken cancellationToken)
    {
        if (AccountUrl is { } known)
        {
            return known;
        }
        var account = await FindAccountAsync(cancellationToken)
            ?? await CreateAccountAsync(contactEmails, termsOfServiceAgreed: true, binding, cancellationToken);
        return account.Url;
    }

    private async Task AuthorizeAsync(Uri url, IAcmeChallengeSolver solver, CancellationToken cancellationToken)
    {
        var authorization = await AuthorizationAsync(url, cancellationToken);
        var host = authorization.Host;
        if (authorization.Status == AcmeStatus.Valid)
        {
            LogAlreadyValid(host);
            return;
        }
        if (authorization.Status != AcmeStatus.Pending)
        {
            throw AuthorizationFailed(authorization, null);
        }
        var challenge = Choose(authorization, solver)
            ?? throw new AcmeException($"ACME: validating {host} failed: the CA offers {string.Join(", ", authorization.Challenges.Select(c => c.Type))} " +
                $"for it and this machine answers only {string.Join(", ", solver.Supports.Order(StringComparer.Ordinal))}" +
                (authorization.Wildcard ? " (a wildcard name needs dns-01, which Slipway does not do: list each name instead)." : "."), null);
        var keyAuthorization = KeyAuthorization(challenge.Token);
        try
        {
            await solver.PresentAsync(host, challenge.Type, challenge.Token, keyAuthorization, cancellationToken);
            LogPresented(host, challenge.Type);
            if (challenge.Status == AcmeStatus.Pending)
            {
                await RespondAsync(challenge, host, cancellationToken);
            }
            authorization = await WaitForAuthorizationAsync(url, host, cancellationToken);
        }
        finally
        {
            try
            {
                // Cleanup runs after a cancellation too: a challenge answer left behind would be served for nothing.
                await solver.CleanupAsync(host, challenge.Type, challenge.Token, keyAuthorization, CancellationToken.None);
            }
            catch (Exception e)
            {
                LogCleanupFailed(host, challenge.Type, e);
            }
        }
        if (authorization.Status != AcmeStatus.Valid)
        {
            throw AuthorizationFailed(authorization, challenge.Type);
        }
        LogValidated(host, challenge.Type);
    }

    /// <summary>http-01 first: it needs only port 80 and works behind any TLS setup; tls-alpn-01 when port 80 is not answered.</summary>
    private static AcmeChallenge? Choose(AcmeAuthorization authorization, IAcmeChallengeSolver solver) =>
        new[] { AcmeChallenge.Http01, AcmeChallenge.TlsAlpn01 }
            .Where(solver.Supports.Contains)
            .Select(type => authorization.Challenges.FirstOrDefault(c => c.Type == type))
            .FirstOrDefault(c => c is not null);

    private AcmeException AuthorizationFailed(AcmeAuthorization authorization, string? type)
    {
        var problem = authorization.Challenges.FirstOrDefault(c => c.Type == type)?.Error ?? authorization.Error
            ?? new AcmeProblem(null, $"the authorization is {authorization.Status.Spelling()}", null, authorization.Host, []);
        var doing = type is null ? $"validating {authorization.Host}" : $"validating {authorization.Host} by {type}";
        return new AcmeException(AcmeErrorMessages.Describe(doing, problem, authorization.Host, null, _time.GetUtcNow()), problem);
    }

    private AcmeException OrderFailed(AcmeOrder order, string step)
    {
        var problem = order.Error ?? new AcmeProblem(null, $"the order is {order.Status.Spelling()}", null, null, []);
        return new AcmeException(AcmeErrorMessages.Describe($"{step} the order for {string.Join(", ", order.Identifiers)} at {Ca}", problem, null, null, _time.GetUtcNow()), problem);
    }

    private static X509Certificate2 FirstCertificate(string pem)
    {
        var found = PemEncoding.Find(pem);
        if (pem[found.Label] is not "CERTIFICATE")
        {
            throw new AcmeException("ACME: the downloaded chain does not start with a certificate.", null);
        }
        return X509CertificateLoader.LoadCertificate(Convert.FromBase64String(pem[found.Base64Data]));
    }

    private static bool SamePublicKey(ECDsa a, ECDsa b)
    {
        var p = a.ExportParameters(false).Q;
        var q = b.ExportParameters(false).Q;
        return p.X!.AsSpan().SequenceEqual(q.X) && p.Y!.AsSpan().SequenceEqual(q.Y);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "ACME {Host} is already authorized")]
    private partial void LogAlreadyValid(string host);

    [LoggerMessage(Level = LogLevel.Debug, Message = "ACME {Type} challenge for {Host} presented")]
    private partial void LogPresented(string host, string type);

    [LoggerMessage(Level = LogLevel.Information, Message = "ACME {Host} validated by {Type}")]
    private partial void LogValidated(string host, string type);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ACME cleanup of the {Type} challenge for {Host} failed")]
    private partial void LogCleanupFailed(string host, string type, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "ACME certificate for {Hosts} issued, valid until {NotAfter} (renewal id {CertificateId})")]
    private partial void LogIssued(IReadOnlyList<string> hosts, DateTimeOffset notAfter, string? certificateId);
}
