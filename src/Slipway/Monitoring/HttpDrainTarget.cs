using System.Buffers;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Slipway.Monitoring;

/// <summary>An HTTPS drain: each batch is one POST of NDJSON (<see cref="DrainJson"/>), gzipped when asked. 2xx is
/// delivered; 408, 429, 5xx, timeouts and network errors are worth retrying soon (Retry-After honoured by the
/// backoff); any other answer is refused. Redirects are not followed: a POST that moved is a URL to fix. Credentials
/// in the URL's user info are sent as Basic authorization (unless an Authorization header is given), never in the
/// request line.</summary>
internal sealed class HttpDrainTarget : DrainTarget
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private static readonly string UserAgent = $"slipway/{typeof(HttpDrainTarget).Assembly.GetName().Version?.ToString(3) ?? "0"} (log drain)";

    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly IReadOnlyList<DrainHeader> _headers;
    private readonly bool _gzip;

    public HttpDrainTarget(Uri url, IReadOnlyList<DrainHeader> headers, bool gzip, string? caPem)
        : base([.. SecretsOf(url), .. headers.Select(h => h.Value)])
    {
#pragma warning disable CA2000 // the HttpClient owns the handler and disposes it with itself
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            // A receiver on this machine is reached directly; elsewhere the host's proxy settings apply.
            UseProxy = !url.IsLoopback,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        handler.SslOptions.RemoteCertificateValidationCallback = DrainTrust.Validator(DrainTrust.Roots(caPem));
        _http = new HttpClient(handler) { Timeout = RequestTimeout };
#pragma warning restore CA2000
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
        _url = url.UserInfo.Length == 0 ? url : new UriBuilder(url) { UserName = "", Password = "" }.Uri;
        var basic = url.UserInfo.Length > 0 && !headers.Any(h => h.Name.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            ? new DrainHeader("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(url.UserInfo))))
            : null;
        _headers = basic is null ? headers : [.. headers, basic];
        _gzip = gzip;
    }

    public override bool Lingers => true;

    public override async Task<DrainAttempt> SendAsync(IReadOnlyList<DrainLine> batch, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = Body(batch) };
        foreach (var header in _headers)
        {
            request.Headers.TryAddWithoutValidation(header.Name, header.Value);
        }
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            return DrainAttempt.Of(response, DateTimeOffset.UtcNow, Scrub, " (a redirect: drains do not follow them; give the URL it points to)",
                " (check the URL and the credentials; a fix on the receiver's side resumes delivery)");
        }
        catch (HttpRequestException e)
        {
            return DrainAttempt.Of(e, Scrub);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DrainAttempt(DrainOutcome.Unavailable, $"no answer within {RequestTimeout.TotalSeconds:0}s");
        }
    }

    public override ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private ByteArrayContent Body(IReadOnlyList<DrainLine> batch)
    {
        var ndjson = new ArrayBufferWriter<byte>(batch.Count * 256);
        DrainJson.Write(ndjson, batch);
        ByteArrayContent content;
        if (_gzip)
        {
            using var compressed = new MemoryStream(ndjson.WrittenCount / 4);
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(ndjson.WrittenSpan);
            }
            content = new ByteArrayContent(compressed.GetBuffer(), 0, (int)compressed.Length);
            content.Headers.ContentEncoding.Add("gzip");
        }
        else
        {
            content = new ByteArrayContent(ndjson.WrittenSpan.ToArray());
        }
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        return content;
    }
}
