using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Slipway.Tests.Support;

namespace Slipway.Tests.Domains.Acme;

/// <summary>A real ACME CA on loopback: Debian's pebble, with pebble-challtestsrv as its DNS server.
///
///   test ──HTTPS (trusts the TLS cert made here)──► pebble :acme/:management
///                                                     │ validation: DNS ─► challtestsrv :dns (only names added with /add-a resolve, to 127.0.0.1)
///                                                     └─► 127.0.0.1:httpPort (http-01), 127.0.0.1:tlsPort (tls-alpn-01) ─► ChallengeResponder
///
/// Pebble has no config and no certificates of its own in the Debian package: both are written here. Validation is
/// immediate and no good nonce is refused (PEBBLE_VA_NOSLEEP=1, PEBBLE_WFE_NONCEREJECT=0), and orders are validated
/// afresh (PEBBLE_AUTHZREUSE=0), so runs are fast and deterministic; except that Pebble 2.4 still reuses an account's
/// valid authorization for 1 order in 100 (it reuses unless rand.Intn(100) &gt; percent): a test that needs a
/// validation to fail for a name the account validated before must allow for it.</summary>
internal sealed class PebbleServer : IAsyncDisposable
{
    public const string PebbleBinary = "/usr/bin/pebble";
    public const string ChallTestSrvBinary = "/usr/bin/pebble-challtestsrv";

    private readonly string _dir;
    private readonly X509Certificate2 _tlsCertificate;
    private readonly List<Process> _processes = [];
    private readonly ConcurrentQueue<string> _output = new();
    private readonly HttpClient _management;
    private int _challTestSrvManagementPort;

    private PebbleServer(string dir, X509Certificate2 tlsCertificate)
    {
        _dir = dir;
        _tlsCertificate = tlsCertificate;
        Handler = new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = TrustPebbleTls } };
        _management = new HttpClient(Handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri Directory { get; private set; } = null!;

    /// <summary>Trusts the TLS certificate this server was given, and nothing else.</summary>
    public SocketsHttpHandler Handler { get; }

    private Uri Management { get; set; } = null!;

    /// <summary>Starts challtestsrv, then pebble with validation pointed at <paramref name="httpPort"/> and
    /// <paramref name="tlsPort"/>. Fails, naming the package, when pebble is not installed (./test.sh installs it).</summary>
    public static async Task<PebbleServer> StartAsync(int httpPort, int tlsPort, IReadOnlyDictionary<string, string>? eabKeys = null)
    {
        if (!File.Exists(PebbleBinary) || !File.Exists(ChallTestSrvBinary))
        {
            throw new InvalidOperationException($"{PebbleBinary} and {ChallTestSrvBinary} are needed for the ACME tests: apt-get install pebble (./test.sh installs it).");
        }
        var dir = TempDirs.Create("pebble");
        var server = new PebbleServer(dir, WriteTlsCertificate(dir));
        try
        {
            await server.StartProcessesAsync(httpPort, tlsPort, eabKeys);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Makes <paramref name="host"/> resolve to 127.0.0.1 for pebble's validation.</summary>
    public async Task AddHostAsync(string host)
    {
        using var response = await _management.PostAsJsonAsync(new Uri($"http://127.0.0.1:{_challTestSrvManagementPort}/add-a"),
            new { host, addresses = new[] { "127.0.0.1" } });
        response.StatusCode.Should().Be(HttpStatusCode.OK, "challtestsrv adds the A record");
    }

    /// <summary>Makes <paramref name="host"/> stop resolving: validation then fails with a DNS problem.</summary>
    public async Task RemoveHostAsync(string host)
    {
        using var response = await _management.PostAsJsonAsync(new Uri($"http://127.0.0.1:{_challTestSrvManagementPort}/clear-a"), new { host });
        response.StatusCode.Should().Be(HttpStatusCode.OK, "challtestsrv removes the A record");
    }

    /// <summary>The PEM file of the self-signed certificate pebble's own HTTPS (the directory) is served with: what a
    /// client of this CA must trust (`server --acme-ca-root`).</summary>
    public string TlsRootPath => Path.Combine(_dir, "cert.pem");

    /// <summary>The root of pebble's issuance chain (made afresh each start).</summary>
    public async Task<X509Certificate2> RootAsync() =>
        X509Certificate2.CreateFromPem(await _management.GetStringAsync(new Uri(Management, "/roots/0")));

    /// <summary>Pebble's record of a certificate: "Valid" or "Revoked".</summary>
    public async Task<string?> StatusOfAsync(X509Certificate2 certificate)
    {
        var serial = Convert.ToHexString(certificate.SerialNumberBytes.Span).TrimStart('0').ToLowerInvariant();
        var json = await _management.GetStringAsync(new Uri(Management, $"/cert-status-by-serial/{serial}"));
        return JsonNode.Parse(json)?["Status"]?.GetValue<string>();
    }

    /// <summary>The last lines pebble and challtestsrv printed, for a failing assertion to show.</summary>
    public string Output => string.Join('\n', _output.TakeLast(40));

    private async Task StartProcessesAsync(int httpPort, int tlsPort, IReadOnlyDictionary<string, string>? eabKeys)
    {
        var dnsPort = Ports.Free();
        _challTestSrvManagementPort = Ports.Free();
        Start(ChallTestSrvBinary, [
            "-dns01", $"127.0.0.1:{dnsPort}", "-management", $"127.0.0.1:{_challTestSrvManagementPort}",
            "-http01", "", "-https01", "", "-tlsalpn01", "", "-defaultIPv4", "", "-defaultIPv6", "",
        ]);

        var acmePort = Ports.Free();
        var managementPort = Ports.Free();
        var config = new JsonObject
        {
            ["pebble"] = new JsonObject
            {
                ["listenAddress"] = $"127.0.0.1:{acmePort}",
                ["managementListenAddress"] = $"127.0.0.1:{managementPort}",
                ["certificate"] = Path.Combine(_dir, "cert.pem"),
                ["privateKey"] = Path.Combine(_dir, "key.pem"),
                ["httpPort"] = httpPort,
                ["tlsPort"] = tlsPort,
                ["ocspResponderURL"] = "",
                ["externalAccountBindingRequired"] = eabKeys is not null,
                ["externalAccountMACKeys"] = eabKeys is null ? new JsonObject() : new JsonObject(eabKeys.Select(k => KeyValuePair.Create(k.Key, (JsonNode?)k.Value))),
            },
        };
        var configPath = Path.Combine(_dir, "pebble-config.json");
        await File.WriteAllTextAsync(configPath, config.ToJsonString());
        Start(PebbleBinary, ["-config", configPath, "-dnsserver", $"127.0.0.1:{dnsPort}"],
            ("PEBBLE_VA_NOSLEEP", "1"), ("PEBBLE_WFE_NONCEREJECT", "0"), ("PEBBLE_AUTHZREUSE", "0"));
        Directory = new Uri($"https://127.0.0.1:{acmePort}/dir");
        Management = new Uri($"https://127.0.0.1:{managementPort}/");

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try
            {
                using var dir = await _management.GetAsync(Directory);
                using var added = await _management.PostAsJsonAsync(new Uri($"http://127.0.0.1:{_challTestSrvManagementPort}/add-a"),
                    new { host = "ready.acme.test", addresses = new[] { "127.0.0.1" } });
                if (dir.IsSuccessStatusCode && added.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline || _processes.Any(p => p.HasExited))
            {
                throw new InvalidOperationException($"pebble did not come up on {Directory}:\n{Output}");
            }
            await Task.Delay(50);
        }
    }

    private void Start(string binary, string[] arguments, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(binary)
        {
            WorkingDirectory = _dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        _output.Enqueue(line);
        while (_output.Count > 400)
        {
            _output.TryDequeue(out _);
        }
    }

    /// <summary>Pebble's HTTPS certificate and key (P-256, for 127.0.0.1 and localhost), written where its config points.</summary>
    private static X509Certificate2 WriteTlsCertificate(string dir)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=pebble test TLS", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, false, 0, critical: true));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        File.WriteAllText(Path.Combine(dir, "cert.pem"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(dir, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        return X509CertificateLoader.LoadCertificate(certificate.RawData);
    }

    private bool TrustPebbleTls(object sender, X509Certificate? certificate, X509Chain? _, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_tlsCertificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(presented);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
            {
            }
            process.Dispose();
        }
        _management.Dispose();
        Handler.Dispose();
        _tlsCertificate.Dispose();
        TempDirs.Delete(_dir);
    }
}
