using System.Net.Http.Headers;
using Slipway.Jobs;

namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>A webhook, Slack or Discord channel: one POST of JSON (<see cref="ChannelBodies"/>) per message. A generic
/// webhook's body is signed as our messages are (<see cref="MessageSigner"/>: Slipway-Signature: t=...,v1=..., keyed
/// with the channel's signing secret). 2xx is delivered; 408, 429, 5xx, timeouts and network errors are retried soon
/// (Retry-After honoured); other answers (401, 404, a redirect, an untrusted certificate) are refused: retried slowly,
/// since they need a fix on one side. Redirects are not followed.</summary>
internal sealed class HttpChannelTarget : ChannelTarget
{
    private static readonly string UserAgent = $"slipway/{typeof(HttpChannelTarget).Assembly.GetName().Version?.ToString(3) ?? "0"} (alerts)";

    private readonly HttpClient _http;
    private readonly ChannelKind _kind;
    private readonly Uri _url;
    private readonly string? _signingSecret;
    private readonly TimeProvider _clock;

    public HttpChannelTarget(ChannelKind kind, ChannelSecrets secrets, TimeProvider clock) : base(secrets)
    {
        _kind = kind;
        _url = new Uri(secrets.Url, UriKind.Absolute);
        _signingSecret = kind == ChannelKind.Webhook ? secrets.SigningSecret : null;
        _clock = clock;
#pragma warning disable CA2000 // the HttpClient owns the handler and disposes it with itself
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            // A receiver on this machine is reached directly; elsewhere the host's proxy settings apply.
            UseProxy = !_url.IsLoopback,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        })
        { Timeout = Timeout.InfiniteTimeSpan };
#pragma warning restore CA2000
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
    }

    public override async Task<DrainAttempt> SendAsync(ChannelMessage message, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var body = ChannelBodies.For(_kind, message);
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        if (_signingSecret is not null)
        {
            request.Headers.TryAddWithoutValidation(MessageSigner.Header, MessageSigner.Sign(_signingSecret, _clock.GetUtcNow(), body));
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token);
            return DrainAttempt.Of(response, _clock.GetUtcNow(), Scrub,
                " (a redirect: channels do not follow them; add the channel again with the URL it points to)",
                " (check the webhook URL; 'slipway alerts test' tries it)");
        }
        catch (HttpRequestException e)
        {
            return DrainAttempt.Of(e, Scrub);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DrainAttempt(DrainOutcome.Unavailable, $"no answer within {Durations.Format(timeout)}");
        }
    }

    public override void Dispose() => _http.Dispose();
}
