using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Slipway.Tests.Domains.Acme;

/// <summary>A small ACME server for what Pebble 2.4 does not do (renewal information, rate limits) and for refusing
/// nonces on purpose. A real Kestrel on loopback (plain HTTP: the client's transport is the same). It checks what a
/// CA checks of each JWS: the signature under the account's key, a nonce it issued and nobody used, the url header.
///
///   GET  /dir                 directory (renewalInfo only when <see cref="WithRenewalInfo"/>)
///   HEAD /nonce               a fresh Replay-Nonce
///   POST /account             201, Location /acct/1 (stores the jwk)
///   POST /order               <see cref="NewOrderAnswer"/>, else 201 with /order/1
///   POST /order/1             the next of <see cref="OrderPolls"/>, else "ready"
///   GET  /renewal-info/{id}   <see cref="RenewalInfo"/></summary>
internal sealed class ScriptedAcmeServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, bool> _issued = new();
    private int _nonceCounter;
    private ECDsa? _accountKey;

    private ScriptedAcmeServer(WebApplication app, Uri baseUrl)
    {
        _app = app;
        Base = baseUrl;
    }

    public Uri Base { get; }

    public Uri Directory => new(Base, "/dir");

    /// <summary>A handler for the clients of this server, disposed with it.</summary>
    public SocketsHttpHandler Handler { get; } = new();

    public bool WithRenewalInfo { get; init; } = true;

    /// <summary>How many good nonces to refuse with badNonce, from now on.</summary>
    public int RejectNonces { get; set; }

    /// <summary>When set, answers newOrder (status, headers, problem body).</summary>
    public Func<HttpResponse, Task>? NewOrderAnswer { get; set; }

    /// <summary>Answers to polls of /order/1: (status, Retry-After or null); "ready" once they are used up.</summary>
    public ConcurrentQueue<(string Status, string? RetryAfter)> OrderPolls { get; } = new();

    /// <summary>The renewalInfo answer: (JSON body, Retry-After or null).</summary>
    public (string Json, string? RetryAfter) RenewalInfo { get; set; }

    /// <summary>Every signed request that passed the checks: path, nonce, decoded payload ("" for POST-as-GET).</summary>
    public ConcurrentQueue<(string Path, string Nonce, string Payload)> Signed { get; } = new();

    /// <summary>Nonces refused as bad, in order.</summary>
    public ConcurrentQueue<string> Refused { get; } = new();

    /// <summary>Certificate ids asked at renewalInfo.</summary>
    public ConcurrentQueue<string> RenewalInfoAsked { get; } = new();

    public static async Task<ScriptedAcmeServer> StartAsync(bool withRenewalInfo = true)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        ScriptedAcmeServer? server = null;
        app.Run(context => server!.HandleAsync(context));
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        server = new ScriptedAcmeServer(app, new Uri($"http://127.0.0.1:{address.Port}/")) { WithRenewalInfo = withRenewalInfo };
        return server;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var response = context.Response;
        response.Headers["Replay-Nonce"] = NewNonce();
        if (HttpMethods.IsGet(context.Request.Method) && path == "/dir")
        {
            var directory = new JsonObject
            {
                ["newNonce"] = Url("/nonce"), ["newAccount"] = Url("/account"), ["newOrder"] = Url("/order"),
                ["revokeCert"] = Url("/revoke"), ["keyChange"] = Url("/key-change"),
            };
            if (WithRenewalInfo)
            {
                directory["renewalInfo"] = Url("/renewal-info");
            }
            await WriteJsonAsync(response, 200, directory.ToJsonString());
            return;
        }
        if (HttpMethods.IsHead(context.Request.Method) && path == "/nonce")
        {
            return;
        }
        if (HttpMethods.IsGet(context.Request.Method) && path.StartsWith("/renewal-info/", StringComparison.Ordinal))
        {
            RenewalInfoAsked.Enqueue(Uri.UnescapeDataString(path["/renewal-info/".Length..]));
            if (RenewalInfo.RetryAfter is { } retry)
            {
                response.Headers.RetryAfter = retry;
            }
            await WriteJsonAsync(response, 200, RenewalInfo.Json);
            return;
        }
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            response.StatusCode = 405;
            return;
        }

        var jws = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync())!;
        var protectedPart = jws["protected"]!.GetValue<string>();
        var payloadPart = jws["payload"]!.GetValue<string>();
        var header = JsonNode.Parse(Base64Url.DecodeFromChars(protectedPart))!;
        var nonce = header["nonce"]?.GetValue<string>() ?? "";
        if (header["url"]?.GetValue<string>() != Url(path) || context.Request.ContentType != "application/jose+json")
        {
            await ProblemAsync(response, 400, "malformed", "url header or content type wrong");
            return;
        }
        if (!_issued.TryRemove(nonce, out _))
        {
            await ProblemAsync(response, 400, "badNonce", "unknown or used nonce");
            return;
        }
        if (RejectNonces > 0)
        {
            RejectNonces--;
            Refused.Enqueue(nonce);
            await ProblemAsync(response, 400, "badNonce", "JWS has an invalid anti-replay nonce");
            return;
        }
        if (path == "/account")
        {
            var jwk = header["jwk"]!;
            _accountKey = ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = Base64Url.DecodeFromChars(jwk["x"]!.GetValue<string>()), Y = Base64Url.DecodeFromChars(jwk["y"]!.GetValue<string>()) },
            });
        }
        else if (header["kid"]?.GetValue<string>() != Url("/acct/1"))
        {
            await ProblemAsync(response, 400, "malformed", "kid is not the account URL");
            return;
        }
        var signature = Base64Url.DecodeFromChars(jws["signature"]!.GetValue<string>());
        if (_accountKey is null || !_accountKey.VerifyData(Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart), signature, HashAlgorithmName.SHA256))
        {
            await ProblemAsync(response, 400, "malformed", "bad signature");
            return;
        }
        Signed.Enqueue((path, nonce, payloadPart.Length == 0 ? "" : Encoding.UTF8.GetString(Base64Url.DecodeFromChars(payloadPart))));

        switch (path)
        {
            case "/account":
                response.Headers.Location = Url("/acct/1");
                await WriteJsonAsync(response, 201, """{"status":"valid","contact":[]}""");
                break;
            case "/order" when NewOrderAnswer is { } answer:
                await answer(response);
                break;
            case "/order":
                response.Headers.Location = Url("/order/1");
                await WriteJsonAsync(response, 201, Order("pending"));
                break;
            case "/order/1":
                var (status, retryAfter) = OrderPolls.TryDequeue(out var next) ? next : ("ready", null);
                if (retryAfter is not null)
                {
                    response.Headers.RetryAfter = retryAfter;
                }
                await WriteJsonAsync(response, 200, Order(status));
                break;
            default:
                response.StatusCode = 404;
                break;
        }
    }

    public static async Task ProblemAsync(HttpResponse response, int status, string type, string detail)
    {
        response.StatusCode = status;
        response.ContentType = "application/problem+json";
        await response.WriteAsync(new JsonObject { ["type"] = "urn:ietf:params:acme:error:" + type, ["detail"] = detail, ["status"] = status }.ToJsonString());
    }

    private string Order(string status) => new JsonObject
    {
        ["status"] = status,
        ["identifiers"] = new JsonArray(new JsonObject { ["type"] = "dns", ["value"] = "shop.example" }),
        ["authorizations"] = new JsonArray(Url("/authz/1")),
        ["finalize"] = Url("/order/1/finalize"),
    }.ToJsonString();

    private string NewNonce()
    {
        var nonce = "n" + Interlocked.Increment(ref _nonceCounter);
        _issued[nonce] = true;
        return nonce;
    }

    private string Url(string path) => new Uri(Base, path).AbsoluteUri;

    private static async Task WriteJsonAsync(HttpResponse response, int status, string json)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        await response.WriteAsync(json);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _accountKey?.Dispose();
        Handler.Dispose();
    }
}
