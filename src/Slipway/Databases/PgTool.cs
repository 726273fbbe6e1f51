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
        foreach (var (k, v) in CleanEnvironment(env))
        {
            info.Environment[k] = v;
        }
        return info;
    }

    /// <summary>What every program of these runs with: a PATH, a UTF-8 locale, and <paramref name="env"/>.</summary>
    private static Dictionary<string, string> CleanEnvironment(IReadOnlyDictionary<string, string>? env)
    {
        var clean = new Dictionary<string, string>
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
            ["LANG"] = "C.UTF-8",
            ["LC_ALL"] = "C.UTF-8",
        };
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            clean[k] = v;
        }
        return clean;
    }

    /// <summary>A server the platform supervises (postgres, redis-server), started through the process launcher
    /// like every app instance: run directly (its pid is the server's own), as <paramref name="user"/>, with the
    /// clean environment, and adoptable like an instance: its output goes through FIFOs that outlive the platform, it
    /// carries the owner mark and, where the launcher can confine, sits in its own cgroup <paramref name="group"/>.KEY,
    /// so the next platform process can take it over (a restart, an upgrade, a crash leaves it running), and a leftover
    /// that is not adopted is swept like any other.
    /// The short-lived programs (initdb, pg_dump, psql ...) stay on <see cref="RunAsync"/>: they are run to
    /// completion with their standard streams wired to files or pipes, which the launcher does not offer.</summary>
    public static Runtime.LaunchSpec Server(string file, IReadOnlyList<string> args, string workingDirectory, ClusterUser? user, string? group) =>
        Runtime.LaunchSpec.Exec(file, args, workingDirectory, CleanEnvironment(null)) with
        {
            Isolation = new Sandbox.Isolation { RunAs = user?.ProcessUser, Group = group },
            Adoptable = true,
        };

    /// <summary>The accounting group of a database server (<paramref name="name"/>: "postgres", "redis-DB"), when this
    /// machine confines processes in cgroups; "_" keeps it apart from every app's (app names start with a letter).</summary>
    public static string? GroupFor(Sandbox.HostSupport host, string name) => host.CanLimit ? "_databases/" + name : null;

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

    /// <summary>from | to, streaming (a dump restored as it is written) through a named pipe: the kernel moves
    /// the bytes between the two programs, as a shell pipeline would. <paramref name="fromArgs"/> names the pipe
    /// as the writer's output file; the reader gets it as standard input. Both results are returned.</summary>
    public static async Task<(Result From, Result To)> PipeAsync(
        string fromFile, Func<string, IEnumerable<string>> fromArgs, IReadOnlyDictionary<string, string> fromEnv,
        string toFile, IEnumerable<string> toArgs, IReadOnlyDictionary<string, string> toEnv,
        string scratchDir, CancellationToken token)
    {
        Directory.CreateDirectory(scratchDir);
        var fifo = Path.Combine(scratchDir, "pipe-" + Guid.NewGuid().ToString("N"));
        Fifos.Make(fifo, "the pipe between the two programs");
        try
        {
            // If one side fails the other may block forever opening or using the pipe: it is stopped.
            using var both = CancellationTokenSource.CreateLinkedTokenSource(token);
            // The reader gets the pipe as its standard input: pg_restore reopens a named input file after
            // sniffing its format, which would lose a pipe's first bytes.
            var consumer = RunAsync("/bin/sh", ["-c", "exec \"$0\" \"$@\" < \"$SLIPWAY_PIPE\"", toFile, .. toArgs],
                new Dictionary<string, string>(toEnv) { ["SLIPWAY_PIPE"] = fifo }, both.Token);
            var producer = RunAsync(fromFile, fromArgs(fifo), fromEnv, both.Token);
            var first = await Task.WhenAny(consumer, producer);
            if (first.IsCompletedSuccessfully && !first.Result.Ok)
            {
                await both.CancelAsync();
            }
            try
            {
                await Task.WhenAll(consumer, producer);
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
            }
            static Result Of(Task<Result> side) => side.IsCompletedSuccessfully ? side.Result : new Result(-1, ["stopped: the other side of the pipe failed"]);
            return (Of(producer), Of(consumer));
        }
        finally
        {
            File.Delete(fifo);
        }
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
