using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy.Operations;

/// <summary>`slipway up` and `down` as a new user runs them: the real executable, the platform in the background.</summary>
[Collection("platform")]
public sealed class UpDownTests
{
    [Fact]
    public async Task Up_starts_the_platform_in_the_background_and_deploys_and_down_stops_everything()
    {
        var dataDir = TempDirs.Create("up");
        var port = Ports.Free();
        var httpsPort = Ports.Free();
        var exe = Path.Combine(AppContext.BaseDirectory, "slipway");
        try
        {
            var up = await Run(exe, "up", TestApps.Example("node-api"), "--http-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--https-port", httpsPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", dataDir);
            up.ExitCode.Should().Be(0, up.Output);
            up.Output.Should().Contain($"http://node-api.localhost:{port}");
            up.Output.Should().Contain($"./slipway --data {dataDir} logs --app node-api -f").And.Contain($"./slipway --data {dataDir} down",
                "hints repeat the data directory they were given");
            using var http = new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/");
            request.Headers.Host = "node-api.localhost";
            using var response = await http.SendAsync(request);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            using var tls = new HttpClient(new SocketsHttpHandler
            {
                SslOptions =
                {
                    TargetHost = "node-api.localhost",
                    // The development certificate is self-signed: checked by name here, not by chain.
                    RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                        (certificate as System.Security.Cryptography.X509Certificates.X509Certificate2)?.GetNameInfo(
                            System.Security.Cryptography.X509Certificates.X509NameType.DnsName, false)?.Contains("localhost", StringComparison.Ordinal) == true,
                },
            });
            using var secure = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{httpsPort}/");
            secure.Headers.Host = "node-api.localhost";
            (await tls.SendAsync(secure)).StatusCode.Should().Be(HttpStatusCode.OK, "up --https-port serves HTTPS");
            var again = await Run(exe, "up", TestApps.Example("node-api"), "--http-port", Ports.Free().ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", dataDir);
            again.ExitCode.Should().Be(0, again.Output);
            again.Output.Should().Contain($"already running and its edge is on port {port}");
            var status = JsonDocument.Parse((await Run(exe, "status", "--app", "node-api", "--json", "--data", dataDir)).Output).RootElement;
            var pids = StatusPids.Of(status);

            var down = await Run(exe, "down", "--data", dataDir);
            down.ExitCode.Should().Be(0, down.Output);
            down.Output.Should().Contain(dataDir);
            foreach (var pid in pids)
            {
                ProcessTable.IsRunning(pid).Should().BeFalse("down stops the apps with the platform");
            }
            (await Run(exe, "apps", "--data", dataDir)).Output.Should().Contain("not running").And.Contain("slipway up");
        }
        finally
        {
            await Run(exe, "down", "--data", dataDir);
            TempDirs.Delete(dataDir);
        }
    }

    private static async Task<(int ExitCode, string Output)> Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        return (p.ExitCode, await stdout + await stderr);
    }
}
