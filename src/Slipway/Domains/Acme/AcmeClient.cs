using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Slipway.Domains.Acme;

/// <summary>An ACME (RFC 8555) client for one CA and one account. Every state-changing request is a JWS POST:
///
///   nonce (pool, else HEAD newNonce) ─► sign ES256 (jwk or kid) ─► POST application/jose+json
///        ▲                                                              │
///        └── badNonce: once more with the fresh nonce of the answer ◄───┤ Replay-Nonce of every answer → pool
///                                                                       └─► 2xx: the object │ problem: AcmeException
///
/// Reads are POST-as-GET (empty payload) except the directory and renewalInfo (plain GET). The account key and URL
/// are the caller's to keep (<see cref="AccountKey"/> changes on <see cref="ChangeKeyAsync"/>); the high-level flow
/// is <see cref="IssueAsync"/>. Neither key material nor signed bodies are ever logged or put in an exception.</summary>
internal sealed partial class AcmeClient : IDisposable
{
    private const string JoseJson = "application/jose+json";
    private const string PemChain = "application/pem-certificate-chain";

    private readonly HttpClient _http;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly AcmeClientOptions _options;
    private readonly AcmeNonces _nonces = new();
    private readonly SemaphoreSlim _directoryGate = new(1, 1);
    private AcmeDirectory? _directory;

    /// <param name="handler">How to reach the CA (tests pass one that trusts their CA's TLS root). Not disposed here.</param>
    public AcmeClient(Uri directoryUrl, AcmeAccountKey accountKey, string? accountUrl, HttpMessageHandler handler,
        ILogger<AcmeClient> logger, TimeProvider? time = null, AcmeClientOptions? options = null)
    {
        DirectoryUrl = directoryUrl;
        AccountKey = accountKey;
        AccountUrl = accountUrl;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _options = options ?? new AcmeClientOptions();
        _http = new HttpClient(handler, disposeHandler: false) { Timeout = _options.RequestTimeout };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
    }

    public static string UserAgent { get; } = $"Slipway/{typeof(AcmeClient).Assembly.GetName().Version?.ToString(3) ?? "0"}";

    public Uri DirectoryUrl { get; }

    /// <summary>The key that signs for the account: the one given, or the new one after <see cref="ChangeKeyAsync"/>.</summary>
    public AcmeAccountKey AccountKey { get; private set; }

    /// <summary>The account's URL ("kid"): given, or set by <see cref="CreateAccountAsync"/>/<see cref="FindAccountAsync"/>.</summary>
    public string? AccountUrl { get; private set; }

    private string Ca => DirectoryUrl.Host;

    /// <summary>The key authorization that answers a challenge's <paramref name="token"/> for this account's key.</summary>
    public string KeyAuthorization(string token) => AcmeChallengeAnswers.KeyAuthorization(token, AccountKey.Thumbprint);

    public async Task<AcmeDirectory> DirectoryAsync(CancellationToken cancellationToken)
    {
        if (_directory is { } known)
        {
            return known;
        }
        await _directoryGate.WaitAsync(cancellationToken);
        try
        {
            if (_directory is null)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, DirectoryUrl);
                var response = await SendAsync(request, cancellationToken);
                if (!response.Succeeded)
                {
                    throw new AcmeException(AcmeErrorMessages.Unreachable(DirectoryUrl, $"its directory answered HTTP {(int)response.Status}"),
                        response.Problem(), response.Status, response.RetryAfter);
                }
                _directory = AcmeDirectory.Parse(response.Json(DirectoryUrl))
                    ?? throw new AcmeException(AcmeErrorMessages.Unreachable(DirectoryUrl, "its answer is not an ACME directory"), null, response.Status);
                LogDirectory(DirectoryUrl, _directory.RenewalInfo is not null, _directory.ExternalAccountRequired);
            }
            return _directory;
        }
        finally
        {
            _directoryGate.Release();
        }
    }

    /// <summary>Registers a new account for <see cref="AccountKey"/> (or gets the existing one: CAs answer with it).</summary>
    public async Task<AcmeAccount> CreateAccountAsync(IReadOnlyList<string> contactEmails, bool termsOfServiceAgreed,
        AcmeExternalAccountBinding? binding, CancellationToken cancellationToken)
    {
        var directory = await DirectoryAsync(cancellationToken);
        var payload = new JsonObject { ["termsOfServiceAgreed"] = termsOfServiceAgreed };
        if (contactEmails.Count > 0)
        {
            payload["contact"] = new JsonArray(contactEmails.Select(email => (JsonNode)JsonValue.Create("mailto:" + email.Trim())).ToArray());
        }
        if (binding is not null)
        {
            payload["externalAccountBinding"] = AcmeJws.ExternalAccountBinding(binding, AccountKey, directory.NewAccount);
        }
        var response = await PostAsync(directory.NewAccount, nonce => AcmeJws.WithJwk(AccountKey, nonce, directory.NewAccount, payload),
            $"registering an account with {Ca}", null, cancellationToken);
        var account = ReadAccount(response);
        LogAccount(account.Url, response.Status == HttpStatusCode.Created ? "created" : "found");
        return account;
    }

    /// <summary>The account of <see cref="AccountKey"/>, if the CA has one (onlyReturnExisting), else null.</summary>
    public async Task<AcmeAccount?> FindAccountAsync(CancellationToken cancellationToken)
    {
        var directory = await DirectoryAsync(cancellationToken);
        var payload = new JsonObject { ["onlyReturnExisting"] = true };
        try
        {
            var response = await PostAsync(directory.NewAccount, nonce => AcmeJws.WithJwk(AccountKey, nonce, directory.NewAccount, payload),
                $"looking up the account at {Ca}", null, cancellationToken);
            var account = ReadAccount(response);
            LogAccount(account.Url, "found");
            return account;
        }
        catch (AcmeException e) when (e.Is("accountDoesNotExist"))
        {
            return null;
        }
    }

    /// <summary>Replaces the account's key with <paramref name="newKey"/> (RFC 8555 §7.3.5: an inner JWS by the new key
    /// inside an outer one by the old). From then on <see cref="AccountKey"/> is the new key; the caller stores it.</summary>
    public async Task ChangeKeyAsync(AcmeAccountKey newKey, CancellationToken cancellationToken)
    {
        var directory = await DirectoryAsync(cancellationToken);
        var keyChange = directory.KeyChange
            ?? throw new AcmeException($"ACME: {Ca} does not offer account key rollover (no keyChange in its directory).", null);
        var accountUrl = RequireAccount();
        var inner = AcmeJws.KeyChange(newKey, AccountKey, accountUrl, keyChange);
        await PostAsync(keyChange, nonce => AcmeJws.WithKid(AccountKey, accountUrl, nonce, keyChange, inner),
            $"rolling the account key over at {Ca}", null, cancellationToken);
        AccountKey = newKey;
        LogKeyChanged(accountUrl, newKey.Thumbprint);
    }

    /// <summary>Orders a certificate for <paramref name="hosts"/> (DNS names). <paramref name="replaces"/> is the RFC 9773
    /// id of the certificate this one renews; sent only to a CA that offers renewal information.</summary>
    public async Task<AcmeOrder> NewOrderAsync(IReadOnlyList<string> hosts, string? replaces, CancellationToken cancellationToken)
    {
        if (hosts.Count == 0)
        {
            throw new ArgumentException("An order needs at least one host name.", nameof(hosts));
        }
        var directory = await DirectoryAsync(cancellationToken);
        var payload = new JsonObject
        {
            ["identifiers"] = new JsonArray(hosts.Select(host => (JsonNode)new JsonObject { ["type"] = "dns", ["value"] = host }).ToArray()),
        };
        if (replaces is not null && directory.RenewalInfo is not null)
        {
            payload["replaces"] = replaces;
        }
        var names = string.Join(", ", hosts);
        var response = await PostSignedAsync(directory.NewOrder, payload, $"ordering a certificate for {names} from {Ca}", null, cancellationToken);
        var url = response.Location ?? throw new AcmeException($"ACME: {Ca} created an order without telling its URL (no Location header).", null, response.Status);
        var order = AcmeOrder.Parse(response.Json(DirectoryUrl), url);
        LogOrder(url, names, replaces is not null);
        return order;
    }

    public async Task<AcmeOrder> OrderAsync(Uri url, CancellationToken cancellationToken) =>
        AcmeOrder.Parse((await PostSignedAsync(url, null, $"reading an order at {Ca}", null, cancellationToken)).Json(DirectoryUrl), url);

    public async Task<AcmeAuthorization> AuthorizationAsync(Uri url, CancellationToken cancellationToken) =>
        AcmeAuthorization.Parse((await PostSignedAsync(url, null, $"reading an authorization at {Ca}", null, cancellationToken)).Json(DirectoryUrl), url);

    /// <summary>Tells the CA the challenge is ready to be validated (an empty JSON object, §7.5.1).</summary>
    public async Task<AcmeChallenge> RespondAsync(AcmeChallenge challenge, string host, CancellationToken cancellationToken)
    {
        var response = await PostSignedAsync(challenge.Url, new JsonObject(), $"validating {host} by {challenge.Type}", host, cancellationToken);
        return AcmeChallenge.Parse(response.Json(DirectoryUrl)) ?? challenge;
    }

    /// <summary>Polls the authorization until it is no longer pending (validated or failed).</summary>
    public Task<AcmeAuthorization> WaitForAuthorizationAsync(Uri url, string host, CancellationToken cancellationToken) =>
        PollAsync(url, AcmeAuthorization.Parse, a => a.Status == AcmeStatus.Pending, $"validating {host}", cancellationToken);

    /// <summary>Polls the order until it is neither pending nor processing.</summary>
    public Task<AcmeOrder> WaitForOrderAsync(Uri url, CancellationToken cancellationToken) =>
        PollAsync(url, AcmeOrder.Parse, o => o.Status is AcmeStatus.Pending or AcmeStatus.Processing, "waiting for the order", cancellationToken);

    /// <summary>Sends the CSR (DER) of a ready order.</summary>
    public async Task<AcmeOrder> FinalizeAsync(AcmeOrder order, byte[] csrDer, CancellationToken cancellationToken)
    {
        var payload = new JsonObject { ["csr"] = Base64Url.EncodeToString(csrDer) };
        var response = await PostSignedAsync(order.Finalize, payload, $"finalizing the order for {string.Join(", ", order.Identifiers)}", null, cancellationToken);
        return AcmeOrder.Parse(response.Json(DirectoryUrl), order.Url);
    }

    /// <summary>The PEM chain at a valid order's certificate URL, leaf first.</summary>
    public async Task<string> DownloadCertificateAsync(Uri url, CancellationToken cancellationToken)
    {
        var response = await PostSignedAsync(url, null, $"downloading the certificate from {Ca}", null, cancellationToken, accept: PemChain);
        var pem = response.Text;
        if (!pem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            throw new AcmeException(AcmeErrorMessages.Unreachable(DirectoryUrl, "its certificate download is not a PEM chain"), null, response.Status);
        }
        return pem;
    }

    /// <summary>Revokes <paramref name="certificate"/>: signed by the account (kid), or, given
    /// <paramref name="certificateKey"/>, by the certificate's own key (jwk; works without the account that ordered it).</summary>
    public async Task RevokeAsync(X509Certificate2 certificate, AcmeRevocationReason? reason, AcmeAccountKey? certificateKey, CancellationToken cancellationToken)
    {
        var directory = await DirectoryAsync(cancellationToken);
        var revokeCert = directory.RevokeCert ?? throw new AcmeException($"ACME: {Ca} does not offer revocation (no revokeCert in its directory).", null);
        var payload = new JsonObject { ["certificate"] = Base64Url.EncodeToString(certificate.RawData) };
        if (reason is { } code)
        {
            payload["reason"] = (int)code;
        }
        var doing = $"revoking the certificate {certificate.SerialNumber} at {Ca}";
        if (certificateKey is null)
        {
            await PostSignedAsync(revokeCert, payload, doing, null, cancellationToken);
        }
        else
        {
            await PostAsync(revokeCert, nonce => AcmeJws.WithJwk(certificateKey, nonce, revokeCert, payload), doing, null, cancellationToken);
        }
        LogRevoked(certificate.SerialNumber, reason);
    }

    /// <summary>The CA's renewal window for a certificate (RFC 9773 §4.2, a plain GET of renewalInfo/ID), or null when the
    /// CA has no renewal information.</summary>
    public async Task<AcmeRenewalInfo?> RenewalInfoAsync(string certificateId, CancellationToken cancellationToken)
    {
        var directory = await DirectoryAsync(cancellationToken);
        if (directory.RenewalInfo is not { } renewalInfo)
        {
            return null;
        }
        var url = new Uri(renewalInfo.OriginalString.TrimEnd('/') + "/" + Uri.EscapeDataString(certificateId));
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        var response = await SendAsync(request, cancellationToken);
        var doing = $"reading renewal information from {Ca}";
        if (!response.Succeeded)
        {
            throw Failure(doing, response, null);
        }
        var json = response.Json(DirectoryUrl);
        if (AcmeJson.Object(json, "suggestedWindow") is not { } window || AcmeJson.Time(window, "start") is not { } start || AcmeJson.Time(window, "end") is not { } end)
        {
            throw new AcmeException($"ACME: {doing} failed: its answer has no suggestedWindow with a start and an end.", null, response.Status);
        }
        return new AcmeRenewalInfo(start, end, AcmeJson.Url(json, "explanationURL"), response.RetryAfter);
    }

    public void Dispose()
    {
        _http.Dispose();
        _directoryGate.Dispose();
    }

    private AcmeAccount ReadAccount(AcmeResponse response)
    {
        var url = response.Location?.OriginalString
            ?? throw new AcmeException($"ACME: {Ca} answered an account request without the account's URL (no Location header).", null, response.Status);
        AccountUrl = url;
        return AcmeAccount.Parse(response.Json(DirectoryUrl), url);
    }

    private string RequireAccount() =>
        AccountUrl ?? throw new InvalidOperationException("No ACME account yet: call CreateAccountAsync or FindAccountAsync first.");

    /// <summary>A request on behalf of the account; a null payload is a POST-as-GET.</summary>
    private Task<AcmeResponse> PostSignedAsync(Uri url, JsonNode? payload, string doing, string? host, CancellationToken cancellationToken, string? accept = null)
    {
        var accountUrl = RequireAccount();
        var key = AccountKey;
        return PostAsync(url, nonce => AcmeJws.WithKid(key, accountUrl, nonce, url, payload), doing, host, cancellationToken, accept);
    }

    private async Task<AcmeResponse> PostAsync(Uri url, Func<string, JsonObject> sign, string doing, string? host,
        CancellationToken cancellationToken, string? accept = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var nonce = _nonces.Take() ?? await NewNonceAsync(cancellationToken);
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new ByteArrayContent(Encoding.UTF8.GetBytes(sign(nonce).ToJsonString())),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(JoseJson);
            if (accept is not null)
            {
                request.Headers.Accept.ParseAdd(accept);
            }
            var response = await SendAsync(request, cancellationToken);
            if (response.Succeeded)
            {
                return response;
            }
            var problem = response.Problem();
            if (problem?.ShortType == "badNonce" && attempt == 1)
            {
                // A nonce can expire or be refused at random (RFC 8555 §6.5); the answer carried a fresh one.
                LogBadNonce(url.AbsolutePath);
                continue;
            }
            throw Failure(doing, response, host);
        }
    }

    private async Task<string> NewNonceAsync(CancellationToken cancellationToken)
    {
        var directory = await DirectoryAsync(cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Head, directory.NewNonce);
        var response = await SendAsync(request, cancellationToken);
        return _nonces.Take()
            ?? throw new AcmeException(AcmeErrorMessages.Unreachable(DirectoryUrl, $"its newNonce answered HTTP {(int)response.Status} without a Replay-Nonce"),
                response.Problem(), response.Status, response.RetryAfter);
    }

    /// <summary>One HTTP exchange; the nonce of the answer goes to the pool. No answer at all is an <see cref="AcmeException"/>
    /// naming the directory and what failed.</summary>
    private async Task<AcmeResponse> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogUnreachable(request.Method.Method, request.RequestUri!.AbsolutePath, AcmeErrorMessages.WhatFailed(e));
            throw new AcmeException(AcmeErrorMessages.Unreachable(DirectoryUrl, AcmeErrorMessages.WhatFailed(e)), null, inner: e);
        }
        using (response)
        {
            if (response.Headers.TryGetValues("Replay-Nonce", out var nonces) && nonces.FirstOrDefault() is { Length: > 0 } nonce)
            {
                _nonces.Add(nonce);
            }
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var location = response.Headers.Location is { } l ? (l.IsAbsoluteUri ? l : new Uri(request.RequestUri!, l)) : null;
            LogExchange(request.Method.Method, request.RequestUri!.AbsolutePath, (int)response.StatusCode);
            return new AcmeResponse(request.RequestUri!, response.StatusCode, location, RetryAfterHeader.Of(response, _time.GetUtcNow()),
                response.Content.Headers.ContentType?.MediaType, body);
        }
    }

    private AcmeException Failure(string doing, AcmeResponse response, string? host)
    {
        var problem = response.Problem();
        if (problem is null)
        {
            var message = (int)response.Status >= 500
                ? AcmeErrorMessages.Unreachable(DirectoryUrl, $"it answered HTTP {(int)response.Status} while {doing}")
                : $"ACME: {doing} failed: the CA answered HTTP {(int)response.Status} without saying why.";
            return new AcmeException(message, null, response.Status, response.RetryAfter);
        }
        return new AcmeException(AcmeErrorMessages.Describe(doing, problem, host, response.RetryAfter, _time.GetUtcNow()),
            problem, response.Status, response.RetryAfter);
    }

    /// <summary>POST-as-GET until <paramref name="pending"/> is false. Waits what the CA's Retry-After asks (at least
    /// <see cref="AcmeClientOptions.PollInterval"/>, at most <see cref="AcmeClientOptions.MaxPollDelay"/>), else a doubling
    /// interval; gives up after <see cref="AcmeClientOptions.PollTimeout"/>.</summary>
    private async Task<T> PollAsync<T>(Uri url, Func<JsonElement, Uri, T> parse, Func<T, bool> pending, string doing, CancellationToken cancellationToken)
    {
        var started = _time.GetUtcNow();
        var interval = _options.PollInterval;
        while (true)
        {
            var response = await PostSignedAsync(url, null, doing, null, cancellationToken);
            var value = parse(response.Json(DirectoryUrl), url);
            if (!pending(value))
            {
                return value;
            }
            var wait = response.RetryAfter is { } asked ? (asked > _options.PollInterval ? asked : _options.PollInterval) : interval;
            wait = wait > _options.MaxPollDelay ? _options.MaxPollDelay : wait;
            interval = interval * 2 > _options.MaxPollDelay ? _options.MaxPollDelay : interval * 2;
            if (_time.GetUtcNow() + wait - started > _options.PollTimeout)
            {
                throw new AcmeException($"ACME: {doing} at {Ca} failed: it was still not done after {Durations.Format(_options.PollTimeout)}; " +
                    "the CA may be busy, try again later.", null);
            }
            LogPolling(url.AbsolutePath, wait);
            await Task.Delay(wait, _time, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "ACME directory {Directory} read (renewal information: {HasRenewalInfo}, EAB required: {EabRequired})")]
    private partial void LogDirectory(Uri directory, bool hasRenewalInfo, bool eabRequired);

    [LoggerMessage(Level = LogLevel.Information, Message = "ACME account {AccountUrl} {How}")]
    private partial void LogAccount(string accountUrl, string how);

    [LoggerMessage(Level = LogLevel.Information, Message = "ACME account {AccountUrl} now signs with key {Thumbprint}")]
    private partial void LogKeyChanged(string accountUrl, string thumbprint);

    [LoggerMessage(Level = LogLevel.Information, Message = "ACME order {OrderUrl} for {Hosts} (replaces a certificate: {Replaces})")]
    private partial void LogOrder(Uri orderUrl, string hosts, bool replaces);

    [LoggerMessage(Level = LogLevel.Information, Message = "ACME certificate {Serial} revoked (reason {Reason})")]
    private partial void LogRevoked(string serial, AcmeRevocationReason? reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "ACME {Method} {Path} answered {Status}")]
    private partial void LogExchange(string method, string path, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ACME {Method} {Path} got no answer: {What}")]
    private partial void LogUnreachable(string method, string path, string what);

    [LoggerMessage(Level = LogLevel.Debug, Message = "ACME nonce refused at {Path}; retrying once with a fresh one")]
    private partial void LogBadNonce(string path);

    [LoggerMessage(Level = LogLevel.Debug, Message = "ACME {Path} not done yet; asking again in {Wait}")]
    private partial void LogPolling(string path, TimeSpan wait);
}
