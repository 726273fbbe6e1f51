using System.Diagnostics;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;

namespace Slipway.Tests.Support;

/// <summary>A second S3-compatible server, moto's (the machine image's Python has it), for what s3rver does not do:
/// listing multipart uploads. On a loopback port of its own, with one bucket, "backups"; it takes any keys. Its state
/// lives in the process only.</summary>
internal sealed partial class MotoServer : IAsyncDisposable
{
    public const string Bucket = "backups";
    public const string Key = "MOTO";

    private readonly Process _process;

    private MotoServer(Process process, string endpoint)
    {
        _process = process;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }

    public static async Task<MotoServer> StartAsync()
    {
        var psi = new ProcessStartInfo("moto_server") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["-H", "127.0.0.1", "-p", "0"])
        {
            psi.ArgumentList.Add(arg);
        }
        var process = Process.Start(psi)!;
        _ = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        // Flask says where it listens on standard error.
        while (await process.StandardError.ReadLineAsync(timeout.Token) is { } line)
        {
            if (Running().Match(line) is { Success: true } match)
            {
                _ = process.StandardError.ReadToEndAsync();
                var server = new MotoServer(process, match.Groups[1].Value);
                using var client = server.Client();
                await client.PutBucketAsync(Bucket);
                return server;
            }
        }
        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException("moto_server exited before it listened");
    }

    /// <summary>An SDK client of its own, for what a test sets up behind Slipway's back (an upload left unfinished).</summary>
    public AmazonS3Client Client() => new(new BasicAWSCredentials(Key, Key),
        new AmazonS3Config { ServiceURL = Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"Running on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Running();
}
