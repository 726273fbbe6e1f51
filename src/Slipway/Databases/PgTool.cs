using System.Diagnostics;

namespace Slipway.Databases;

/// <summary>Runs PostgreSQL's programs (initdb, pg_dump, pg_restore, psql, redis-server's helpers) as real
/// child processes with a clean environment; passwords travel in the environment, never on a command line.</summary>
internal static class PgTool
{
    public sealed record Result(int ExitCode, IReadOnlyList<string> Stderr)
    {
        public bool Ok => ExitCode == 0;

        public string Describe(string what) =>
            $"{what} exited with code {ExitCode}" + (Stderr.Count > 0 ? ": " + string.Join(" | ", Stderr.TakeLast(5)) : "");
    }

    public static ProcessStartInfo Info(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, ClusterUser? asUser = null)
    {
        var (program, arguments) = asUser is null ? (file, args.ToList()) : asUser.Wrap(file, args);
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }
        info.Environment.Clear();
        info.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        info.Environment["LANG"] = "C.UTF-8";
        info.Environment["LC_ALL"] = "C.UTF-8";
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }
        return info;
    }

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env, CancellationToken token, ClusterUser? asUser = null)
    {
        var info = Info(file, args, env, asUser);
        info.WorkingDirectory = "/";
        using var process = Process.Start(info)!;
        var stderr = Collect(process.StandardError);
        var stdout = Collect(process.StandardOutput);
        await WaitAsync(process, token);
        return new Result(process.ExitCode, [.. await stderr, .. (await stdout).TakeLast(5)]);
    }

    /// <summary>from | to, streaming (a dump restored as it is written). Both results are returned.</summary>
    public static async Task<(Result From, Result To)> PipeAsync(ProcessStartInfo from, ProcessStartInfo to, CancellationToken token)
    {
        to.RedirectStandardInput = true;
        using var producer = Process.Start(from)!;
        using var consumer = Process.Start(to)!;
        var fromErr = Collect(producer.StandardError);
        var toErr = Collect(consumer.StandardError);
        var toOut = Collect(consumer.StandardOutput);
        try
        {
            await producer.StandardOutput.BaseStream.CopyToAsync(consumer.StandardInput.BaseStream, 1 << 20, token);
        }
        catch (IOException)
        {
            // The consumer stopped reading (it failed): its exit code and stderr say why.
        }
        finally
        {
            try
            {
                consumer.StandardInput.Close();
            }
            catch (IOException)
            {
            }
        }
        await WaitAsync(producer, token);
        await WaitAsync(consumer, token);
        _ = await toOut;
        return (new Result(producer.ExitCode, await fromErr), new Result(consumer.ExitCode, await toErr));
    }

    private static async Task WaitAsync(Process process, CancellationToken token)
    {
        try
        {
            await process.WaitForExitAsync(token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    private static async Task<List<string>> Collect(StreamReader reader)
    {
        var lines = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (lines.Count >= 200)
            {
                lines.RemoveAt(0);
            }
            lines.Add(line);
        }
        return lines;
    }
}
