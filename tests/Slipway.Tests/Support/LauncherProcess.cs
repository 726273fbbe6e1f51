using System.Collections.Concurrent;
using System.Diagnostics;
using Slipway.Cli;

namespace Slipway.Tests.Support;

/// <summary>The platform as `up` runs it: `slipway launcher -- slipway server ...` in its own processes, for kill -9,
/// restart and upgrade tests. Disposing runs `down` (apps stop too) and sweeps whatever is left by the data directory's
/// owner mark.</summary>
internal sealed class LauncherProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private LauncherProcess(Process process, string dataDir, int port)
    {
        _process = process;
        DataDir = dataDir;
        Port = port;
        process.OutputDataReceived += (_, e) => _output.Enqueue(e.Data ?? "");
        process.ErrorDataReceived += (_, e) => _output.Enqueue(e.Data ?? "");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string DataDir { get; }
    public int Port { get; }
    public static string Executable => Path.Combine(AppContext.BaseDirectory, "slipway");
    public string Output => string.Join('\n', _output);
    public Process Process => _process;

    /// <summary>The platform process the launcher runs now.</summary>
    public int ServerPid => int.Parse(File.ReadAllText(Path.Combine(DataDir, "slipway.pid")), System.Globalization.CultureInfo.InvariantCulture);

    /// <param name="executable">The slipway to run (launcher and server): the test build's by default; the published
    /// one (<see cref="PublishedCli"/>, ReadyToRun as users run it) where its start-up time is what is measured.</param>
    public static async Task<LauncherProcess> StartAsync(string dataDir, int port, string? executable = null)
    {
        executable ??= Executable;
        var psi = new ProcessStartInfo(executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
                 {
                     // `--data` before `server` on purpose: a global option, which an upgrade must hand on too.
                     "launcher", "--data", dataDir, "--", executable, "--data", dataDir, "server",
                     "--http-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--cache-dir", TestApps.SharedCacheDir, "--databases-dir", dataDir + "-db",
                 })
        {
            psi.ArgumentList.Add(arg);
        }
        var launcher = new LauncherProcess(Process.Start(psi)!, dataDir, port);
        using var api = new ApiClient(dataDir);
        var up = Stopwatch.StartNew();
        while (!await api.IsUpAsync(CancellationToken.None))
        {
            if (launcher._process.HasExited || up.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new InvalidOperationException($"the launcher's platform did not come up:\n{launcher.Output}");
            }
            await Task.Delay(100);
        }
        return launcher;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await CliApp.RunAsync(["down", "--data", DataDir], TextWriter.Null, TextWriter.Null, CancellationToken.None);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        finally
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }
            _process.Dispose();
            await Slipway.Runtime.Leftovers.KillAsync(Slipway.Runtime.Leftovers.OwnerId(DataDir), TimeSpan.FromSeconds(5));
        }
    }
}
