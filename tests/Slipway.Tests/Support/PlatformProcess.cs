using System.Diagnostics;
using Slipway.Cli;

namespace Slipway.Tests.Support;

/// <summary>The platform as its own OS process (`slipway server`), for what an in-process host cannot show:
/// SIGKILL of the platform itself and a restart on the same data directory.</summary>
internal sealed class PlatformProcess : IAsyncDisposable
{
    private readonly Process _process;

    private PlatformProcess(Process process, string dataDir, int port)
    {
        _process = process;
        DataDir = dataDir;
        Port = port;
    }

    public string DataDir { get; }
    public int Port { get; }
    public int Pid => _process.Id;

    public static async Task<PlatformProcess> StartAsync(string dataDir, int port)
    {
        var exe = Path.Combine(AppContext.BaseDirectory, "slipway");
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "server", "--data", dataDir, "--http-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--cache-dir", TestApps.SharedCacheDir, "--databases-dir", dataDir + "-db" })
        {
            psi.ArgumentList.Add(arg);
        }
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var api = new ApiClient(dataDir);
        var deadline = Stopwatch.StartNew();
        while (!await api.IsUpAsync(CancellationToken.None))
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new InvalidOperationException($"slipway server did not come up (exited: {process.HasExited})");
            }
            await Task.Delay(100);
        }
        return new PlatformProcess(process, dataDir, port);
    }

    /// <summary>SIGTERM, as systemd's stop or a restart sends: the platform stops, its apps run on.</summary>
    public void Terminate()
    {
        Slipway.Runtime.ProcessGroups.SignalProcess(_process.Id, Slipway.Runtime.ProcessGroups.SigTerm);
        _process.WaitForExit();
    }

    public void KillHard()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    /// <summary>As `slipway down`: the apps stop with it. Whatever a killed platform left that no restart adopted is
    /// swept by its owner mark, so no test leaves app processes behind.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using var api = new ApiClient(DataDir);
            try
            {
                await api.PostAsync<System.Text.Json.JsonElement?>("v1/shutdown", null, CancellationToken.None);
            }
            catch (System.Text.Json.JsonException)
            {
                // 202 without a body: the platform is stopping its apps, then itself.
            }
            catch (Exception e) when (e is HttpRequestException or IOException or System.Net.Sockets.SocketException or UserException)
            {
                Slipway.Runtime.ProcessGroups.SignalProcess(_process.Id, Slipway.Runtime.ProcessGroups.SigTerm);
            }
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        _process.Dispose();
        await Slipway.Runtime.Leftovers.KillAsync(Slipway.Runtime.Leftovers.OwnerId(DataDir), TimeSpan.FromSeconds(5));
    }
}
