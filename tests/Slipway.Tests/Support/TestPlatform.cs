using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Slipway.Cli;
using Slipway.Deploy;
using Slipway.Edge;
using Slipway.Hosting;

namespace Slipway.Tests.Support;

/// <summary>A real platform in this process: its own data directory, the edge on a free loopback port, the
/// API on a Unix socket, real child processes. The CLI is driven in-process against it, exactly as a user's
/// shell would (same parsing, same API calls over the socket).</summary>
internal sealed class TestPlatform : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestPlatform(WebApplication app, string dataDir, string databasesDir)
    {
        _app = app;
        DataDir = dataDir;
        DatabasesDir = databasesDir;
        EdgePort = app.Services.GetRequiredService<EdgeServer>().Port;
        Http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(1) })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public string DataDir { get; }

    /// <summary>Where the managed PostgreSQL and redis live (beside the data directory unless a test says otherwise).</summary>
    public string DatabasesDir { get; }
    public int EdgePort { get; }

    /// <summary>The edge's TLS port when started with https: true.</summary>
    public int? EdgeHttpsPort => _app.Services.GetRequiredService<EdgeServer>().HttpsPort;
    public HttpClient Http { get; }
    public IServiceProvider Services => _app.Services;

    public static async Task<TestPlatform> StartAsync(TimeSpan? warmWindow = null, string? dataDir = null, int? apiPort = null, int keepBuilds = 10,
        bool https = false, TimeProvider? jobsClock = null, string? cliFile = null, Func<PlatformOptions, PlatformOptions>? configure = null)
    {
        dataDir ??= TempDirs.Create("platform");
        // Beside the data directory, not in it: as root the databases run as an unprivileged user, who cannot enter it.
        var options = new PlatformOptions
        {
            DataDir = dataDir,
            HttpPort = 0,
            WarmWindow = warmWindow ?? TimeSpan.FromMinutes(10),
            CacheDir = TestApps.SharedCacheDir,
            ApiPort = apiPort,
            KeepBuilds = keepBuilds,
            HttpsPort = https ? 0 : null,
            JobsClock = jobsClock,
            DatabasesDir = dataDir + "-db",
            CliFile = cliFile,
            // No test reaches a real CA: certificates come from a Pebble the test starts, or fail at once on a closed port.
            AcmeDirectory = "https://127.0.0.1:1/directory",
        };
        options = configure?.Invoke(options) ?? options;
        var app = PlatformHost.Build(options, LogLevel.Warning);
        await app.StartAsync();
        return new TestPlatform(app, dataDir, options.DatabasesDir ?? dataDir + "-db");
    }

    /// <summary>A platform with the TCP API on a free port, trying another when the one picked was taken between the
    /// pick and the bind (another test's listener or child process got it first).</summary>
    public static async Task<(TestPlatform Platform, int ApiPort)> StartWithApiPortAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = Ports.Free();
            try
            {
                return (await StartAsync(apiPort: port), port);
            }
            catch (IOException e) when (attempt < 5 && e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
            }
        }
    }

    /// <summary>Runs a CLI command against this platform; returns exit code and everything it printed.</summary>
    public Task<CliResult> CliAsync(params string[] args) => CliWithInputAsync(null, args);

    /// <summary>The command with <paramref name="input"/> as its standard input (as piped in: `printf %s "$TOKEN" | slipway ...`).</summary>
    public async Task<CliResult> CliWithInputAsync(string? input, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var reader = new StringReader(input ?? "");
        var code = await CliApp.RunAsync([.. args, "--data", DataDir], output, error, input is null ? null : reader, CancellationToken.None);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    public async Task<CliResult> DeployAsync(string source, string app, params string[] extra)
    {
        var result = await CliAsync(["deploy", source, "--app", app, .. extra]);
        return result;
    }

    /// <summary>`slipway logs` output once it contains <paramref name="expected"/> (app output is stored as it
    /// arrives, a moment after the request that caused it), or after 15 s whatever it holds.</summary>
    public async Task<CliResult> LogsContainingAsync(string expected, params string[] args)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var result = await CliAsync(["logs", .. args]);
            if (result.Out.Contains(expected, StringComparison.Ordinal) || DateTime.UtcNow > deadline)
            {
                return result;
            }
            await Task.Delay(100);
        }
    }

    /// <summary>GET through the edge with APP.localhost as Host.</summary>
    public async Task<HttpResponseMessage> GetAsync(string app, string path = "/", string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{EdgePort}{path}");
        request.Headers.Host = $"{app}.localhost";
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }
        return await Http.SendAsync(request);
    }

    public async Task<string?> VersionAsync(string app)
    {
        using var response = await GetAsync(app);
        return response.StatusCode == HttpStatusCode.OK && response.Headers.TryGetValues("X-App-Version", out var v) ? v.First() : $"status {(int)response.StatusCode}";
    }

    public DeployEngine Engine => _app.Services.GetRequiredService<DeployEngine>();

    /// <summary>Leave the data directory for another platform to start on (restart tests).</summary>
    public bool KeepData { get; set; }

    private bool _disposed;

    /// <summary>Once: a restart test disposes one platform before its end, and its `await using` comes again.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Http.Dispose();
        // As `slipway down` does: a platform's stop alone leaves its apps running for the next platform process.
        await _app.Services.GetRequiredService<Slipway.Deploy.Recovery>().StopAppsAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        // Whatever a test left that neither a stop nor a restart took back (no app process outlives its test).
        await Slipway.Runtime.Leftovers.KillAsync(Slipway.Runtime.Leftovers.OwnerId(DataDir), TimeSpan.FromSeconds(5));
        if (!KeepData)
        {
            TempDirs.Delete(DataDir);
            TempDirs.Delete(DatabasesDir);
        }
    }
}

internal sealed record CliResult(int ExitCode, string Out, string Err)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Err}";
}
