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
        var exe = Path.Combine(AppContext.BaseDirectory, "slipway");
        try
        {
            var up = await Run(exe, "up", TestApps.Example("node-api"), "--http-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", dataDir);
            up.ExitCode.Should().Be(0, up.Output);
            up.Output.Should().Contain($"http://node-api.localhost:{port}");
            using var http = new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/");
            request.Headers.Host = "node-api.localhost";
            using var response = await http.SendAsync(request);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            var status = JsonDocument.Parse((await Run(exe, "status", "--app", "node-api", "--json", "--data", dataDir)).Output).RootElement;
            var pids = StatusPids.Of(status);

            var down = await Run(exe, "down", "--data", dataDir);
            down.ExitCode.Should().Be(0, down.Output);
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
