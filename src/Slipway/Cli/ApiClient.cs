using System.Net.Http.Json;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Slipway.Runtime;

namespace Slipway.Cli;

/// <summary>The CLI's connection to a running platform: HTTP over the data directory's Unix socket on the server
/// itself, or HTTPS to a platform elsewhere with a token (<see cref="Remote"/>).</summary>
internal sealed class ApiClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = JsonSpellings.Web();
    private readonly HttpClient _http;
    private readonly string _socketPath;

    private readonly string? _env;

    /// <summary>A platform elsewhere: <paramref name="url"/> (https://slipway.example.com) with a bearer token
    /// (an API token or a `slipway login`), trusting <paramref name="caFile"/> too when given.</summary>
    public static ApiClient Remote(Uri url, string token, string? caFile, string? env)
    {
#pragma warning disable CA2000 // the HttpClient owns the handler and disposes it with itself
        var handler = new SocketsHttpHandler { UseProxy = true };
        if (url.Host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            // RFC 6761: every name under .localhost is this machine (as browsers treat it), whatever the resolver says.
            handler.UseProxy = false;
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
        if (caFile is not null)
        {
            var trusted = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            trusted.ImportFromPemFile(caFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (errors == System.Net.Security.SslPolicyErrors.None)
                {
                    return true;
                }
                // OpenSSL does not match a wildcard one label under a top-level name (*.localhost); a .localhost
                // name is this machine (RFC 6761), so its name check is the development certificate's own.
                var loopbackName = url.Host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
                if (certificate is null || (errors.HasFlag(System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch) && !loopbackName))
                {
                    return false;
                }
                using var leaf = new System.Security.Cryptography.X509Certificates.X509Certificate2(certificate);
                if (trusted.Any(t => t.Thumbprint == leaf.Thumbprint))
                {
                    return true; // the --ca file is this very certificate (a self-signed one)
                }
                using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
                chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
                chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                return chain.Build(leaf);
            };
        }
        var http = new HttpClient(handler) { BaseAddress = new Uri(url.GetLeftPart(UriPartial.Authority) + "/"), Timeout = Timeout.InfiniteTimeSpan };
#pragma warning restore CA2000
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return new ApiClient(http, url.GetLeftPart(UriPartial.Authority), env);
    }

    private ApiClient(HttpClient http, string where, string? env)
    {
        _http = http;
        _socketPath = where;
        _env = env;
        IsRemote = true;
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
    }

    /// <summary>What the audit log records as the client.</summary>
    public static string UserAgent => $"slipway-cli/{typeof(ApiClient).Assembly.GetName().Version?.ToString(3) ?? "0"}";

    /// <summary>Whether this talks to a platform elsewhere (commands that act on the server's files refuse).</summary>
    public bool IsRemote { get; }

    public ApiClient(string dataDir, string? env = null)
    {
        _env = env;
        _socketPath = Path.Combine(dataDir, "slipway.sock");
#pragma warning disable CA2000 // the HttpClient owns the handler and disposes it with itself
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(_socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://slipway/"), Timeout = Timeout.InfiniteTimeSpan };
#pragma warning restore CA2000
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
    }

    public string SocketPath => _socketPath;

    public async Task<bool> IsUpAsync(CancellationToken cancellationToken)
    {
        if (!IsRemote && !File.Exists(_socketPath))
        {
            return false;
        }
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(3));
            using var response = await _http.GetAsync("v1/ping", cts.Token);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) => SendAsync<T>(HttpMethod.Get, path, null, cancellationToken);

    public Task<T> PostAsync<T>(string path, object? body, CancellationToken cancellationToken) => SendAsync<T>(HttpMethod.Post, path, body, cancellationToken);

    public Task<T> DeleteAsync<T>(string path, CancellationToken cancellationToken) => SendAsync<T>(HttpMethod.Delete, path, null, cancellationToken);

    public async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.NoContent)
        {
            return default!;
        }
        return (await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken))!;
    }

    /// <summary>Sends a body that is not JSON (an upload) and reads the JSON answer.</summary>
    public async Task<T> SendContentAsync<T>(HttpMethod method, string path, HttpContent content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        return (await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken))!;
    }

    /// <summary>Reads an NDJSON log stream entry by entry as the server writes it.</summary>
    public async IAsyncEnumerable<LogEntry> StreamAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 0 && JsonSerializer.Deserialize(line, LogJson.Default.LogEntry) is { } entry)
            {
                if (entry.Kind == LogEntry.ErrorKind)
                {
                    throw new UserException(entry.Message);
                }
                yield return entry;
            }
        }
    }

    /// <summary>POSTs and reads an NDJSON answer line by line as the server writes it (database operations' steps).</summary>
    public async IAsyncEnumerable<JsonElement> PostLinesAsync(string path, object? body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 0)
            {
                using var doc = JsonDocument.Parse(line);
                yield return doc.RootElement.Clone();
            }
        }
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        // Every app-scoped call is about the environment given with --env (the server defaults to production).
        var path = request.RequestUri!.OriginalString;
        if (_env is { Length: > 0 } env && path.StartsWith("v1/apps/", StringComparison.Ordinal))
        {
            request.RequestUri = new Uri(path + (path.Contains('?') ? "&" : "?") + "env=" + Uri.EscapeDataString(env), UriKind.Relative);
        }
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException e) when (IsRemote)
        {
            var why = e.HttpRequestError == HttpRequestError.SecureConnectionError
                ? $"its TLS certificate is not trusted here ({e.InnerException?.Message ?? e.Message}). For a private certificate authority, give its PEM file: slipway login URL --ca FILE"
                : e.InnerException?.Message ?? e.Message;
            throw new UserException($"Cannot reach the Slipway platform at {_socketPath}: {why}");
        }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError)
        {
            throw new UserException($"The Slipway platform is not running (nothing answers on {_socketPath}). " +
                "Start it with './slipway up DIR' (background) or 'slipway server' (foreground).");
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            string detail;
            try
            {
                using var doc = JsonDocument.Parse(text);
                detail = doc.RootElement.TryGetProperty("detail", out var d) ? d.GetString() ?? text : text;
            }
            catch (JsonException)
            {
                detail = text.Length > 0 ? text : response.ReasonPhrase ?? response.StatusCode.ToString();
            }
            throw new UserException(detail);
        }
    }

    public void Dispose() => _http.Dispose();
}
