using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Slipway.Tests.Support;

/// <summary>A real S3-compatible server for off-site backup tests: s3rver from npm (installed once per test run from
/// the lock file in tests/Slipway.Tests/Offsite/S3Server), on a loopback port of its own, with one bucket, "backups".
/// Its keys are s3rver's fixed S3RVER / S3RVER.</summary>
internal sealed partial class S3Server : IAsyncDisposable
{
    public const string Bucket = "backups";
    public const string Key = "S3RVER";

    private static readonly Lazy<Task<string>> Installed = new(InstallAsync);
    private readonly Process _process;

    private S3Server(Process process, int port, string dir)
    {
        _process = process;
        Endpoint = $"http://127.0.0.1:{port}";
        Dir = dir;
    }

    public string Endpoint { get; }

    /// <summary>Where s3rver keeps the objects (tests damage them through it).</summary>
    public string Dir { get; }

    public static async Task<S3Server> StartAsync()
    {
        var script = await Installed.Value;
        var dir = TempDirs.Create("s3rver");
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[script, "-d", dir, "-a", "127.0.0.1", "-p", "0", "--configure-bucket", Bucket])
        {
            psi.ArgumentList.Add(arg);
        }
        var process = Process.Start(psi)!;
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (Listening().Match(line) is { Success: true } match)
            {
                _ = process.StandardOutput.ReadToEndAsync();
                return new S3Server(process, int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), dir);
            }
        }
        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException("s3rver exited before it listened");
    }

    private int _disposed;

    /// <summary>Stops the server (a test may stop it early, to see a store that is gone); once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        TempDirs.Delete(Dir);
    }

    private static async Task<string> InstallAsync() =>
        Path.Combine(await NpmPackages.InstallAsync(Path.Combine("tests", "Slipway.Tests", "Offsite", "S3Server"), "s3rver"), "node_modules", "s3rver", "bin", "s3rver.js");

    [GeneratedRegex(@"listening on [^:\s]+:(\d+)")]
    private static partial Regex Listening();
}
