using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Slipway.Domains.Acme;

namespace Slipway.Domains;

/// <summary>The ACME CA of the persisted settings (<see cref="AcmeConfiguration"/>) as the issuer's
/// <see cref="ICertificateAuthority"/>:
///
///   settings ─► account key (made and sealed before it is registered, so a crash never orphans an account)
///            ─► account URL (kept; found again by the key, or created with the contact address and EAB)
///            ─► AcmeClient.IssueAsync with the edge answering the challenges ─► IssuedCertificate
///
/// Every failure of the CA or the network becomes a <see cref="CertificateAuthorityException"/> with the CA's
/// Retry-After; no message carries key material.</summary>
internal sealed class AcmeCertificateAuthority : ICertificateAuthority, IDisposable
{
    private readonly AcmeConfiguration _configuration;
    private readonly IAcmeChallengeSolver _solver;
    private readonly ILogger<AcmeClient> _logger;
    private readonly TimeProvider _clock;
    private readonly AcmeClientOptions? _clientOptions;
    private readonly SocketsHttpHandler _handler;

    public AcmeCertificateAuthority(AcmeConfiguration configuration, IAcmeChallengeSolver solver, DomainsOptions options,
        ILogger<AcmeClient> logger, TimeProvider clock)
    {
        _configuration = configuration;
        _solver = solver;
        _logger = logger;
        _clock = clock;
        _clientOptions = options.AcmeClient;
        _handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (options.AcmeCaRoots is { Count: > 0 } roots)
        {
            // A private CA (step-ca, Pebble, a company's own) whose directory is served under its own root.
            _handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            _handler.SslOptions.CertificateChainPolicy.CustomTrustStore.AddRange(roots.ToArray());
        }
    }

    public async Task<IssuedCertificate> IssueAsync(IReadOnlyList<string> names, string? replaces, CancellationToken cancellationToken)
    {
        var settings = _configuration.Current;
        for (var attempt = 0; ; attempt++)
        {
            using var client = Client(settings);
            try
            {
                await EnsureAccountAsync(client, settings, cancellationToken);
                var issued = await client.IssueAsync(names, _solver, replaces, cancellationToken);
                return new IssuedCertificate(issued.ChainPem, issued.KeyPem, issued.NotBefore, issued.NotAfter, issued.CertificateId);
            }
            catch (AcmeException e) when (attempt == 0 && e.Is("accountDoesNotExist"))
            {
                // The CA no longer knows the account (deactivated, or the CA's data was reset): register again.
                _configuration.ForgetAccountUrl();
            }
            catch (AcmeException e) when (attempt == 0 && replaces is not null && (e.Is("alreadyReplaced") || e.Is("malformed") || e.Is("unauthorized")))
            {
                // The certificate named in `replaces` was replaced already (an order finished but not recorded), or is
                // not this account's: order without it; the renewal is what matters.
                replaces = null;
            }
            catch (AcmeException e)
            {
                throw new CertificateAuthorityException(e.Message, e.RetryAfter, e);
            }
            catch (HttpRequestException e)
            {
                throw Unreachable(settings, e);
            }
            catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw Unreachable(settings, e);
            }
        }
    }

    public async Task<RenewalWindow?> RenewalInfoAsync(string certificateId, CancellationToken cancellationToken)
    {
        var settings = _configuration.Current;
        using var client = Client(settings);
        try
        {
            return await client.RenewalInfoAsync(certificateId, cancellationToken) is { } info
                ? new RenewalWindow(info.WindowStart, info.WindowEnd, info.ExplanationUrl?.ToString())
                : null;
        }
        catch (AcmeException e)
        {
            throw new CertificateAuthorityException(e.Message, e.RetryAfter, e);
        }
        catch (Exception e) when (e is HttpRequestException || e is TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw Unreachable(settings, e);
        }
    }

    public void Dispose() => _handler.Dispose();

    private AcmeClient Client(AcmeSettings settings)
    {
        var key = _configuration.Account is { } account ? AcmeAccountKey.FromPem(account.KeyPem) : null;
        if (key is null)
        {
            // Sealed before the CA hears of it: if the platform stops mid-registration, the key finds the account again.
            key = AcmeAccountKey.Generate();
            _configuration.SaveAccount(key.ToPem(), url: null, settings);
        }
        return new AcmeClient(new Uri(settings.Directory), key, _configuration.Account?.Url, _handler, _logger, _clock, _clientOptions);
    }

    private async Task EnsureAccountAsync(AcmeClient client, AcmeSettings settings, CancellationToken cancellationToken)
    {
        if (client.AccountUrl is not null)
        {
            return;
        }
        var binding = _configuration.ExternalAccountBinding is { } eab ? new AcmeExternalAccountBinding(eab.Kid, eab.HmacKey) : null;
        var url = await client.EnsureAccountAsync(settings.Email is { } email ? [email] : [], binding, cancellationToken);
        _configuration.SaveAccount(client.AccountKey.ToPem(), url, settings);
    }

    private static CertificateAuthorityException Unreachable(AcmeSettings settings, Exception e) => new(
        $"the certificate authority at {new Uri(settings.Directory).Authority} could not be reached ({e.Message}); check this machine's " +
        "outbound HTTPS and the directory URL (slipway acme show)", null, e);
}
