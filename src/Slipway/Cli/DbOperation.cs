using System.Diagnostics;
using System.Text.Json;

namespace Slipway.Cli;

/// <summary>A long database operation (backup, verify, restore, attach, branch, recovery) from the CLI: its
/// steps are printed as the server reports them, then the outcome is returned; with --json only the outcome. Always
/// asked for as a stream (?progress=1), --json too: the server's keep-alive lines are what keep a quiet step of a remote
/// call alive through the edge, whose idle cut would otherwise end a long backup or restore.</summary>
internal static class DbOperation
{
    private static readonly JsonSerializerOptions Json = JsonSpellings.Web();

    public static async Task<T> RunAsync<T>(CliContext cli, ApiClient api, string path, object? body, bool json, CancellationToken token)
    {
        var started = Stopwatch.StartNew();
        await foreach (var line in api.PostLinesAsync(path + (path.Contains('?') ? "&" : "?") + "progress=1", body, token))
        {
            if (line.TryGetProperty("step", out var step) && !json)
            {
                cli.Out.WriteLine($"  {started.Elapsed.TotalSeconds,6:0.0}s  {step.GetString()}");
            }
            else if (line.TryGetProperty("error", out var error))
            {
                throw new UserException(error.GetString() ?? "the operation failed");
            }
            else if (line.TryGetProperty("result", out var result))
            {
                return result.Deserialize<T>(Json)!;
            }
        }
        throw new UserException("The platform stopped answering before the operation finished; its log says why. " +
            "Nothing half-done is kept: 'slipway db backups' and 'slipway db ls' show what was recorded.");
    }
}
