using System.Diagnostics;

namespace Slipway.Tests.Support;

/// <summary>The self-contained single-file slipway that `./slipway` builds (and the platform hands out for download),
/// built through the real wrapper once per test run when its sources changed.</summary>
internal static class PublishedCli
{
    private static readonly SemaphoreSlim Once = new(1, 1);

    public static async Task<string> PathAsync()
    {
        var wrapper = System.IO.Path.Combine(TestApps.RepoRoot, "slipway");
        await Once.WaitAsync();
        try
        {
            var psi = new ProcessStartInfo(wrapper, ["--print-binary"]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(psi)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            // A minute on a warm machine; on a fresh one the runtime packs are restored first and ReadyToRun compiles the
            // whole program on two cores, which has taken over six minutes while other tests ran beside it.
            try
            {
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(12));
            }
            catch (TimeoutException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            process.ExitCode.Should().Be(0, $"./slipway builds the CLI: {await stdout}{await stderr}");
            // The newest build's own versioned path (.slipway/versions/ID/slipway), not .slipway/current.
            return (await stdout).TrimEnd('\n');
        }
        finally
        {
            Once.Release();
        }
    }
}
