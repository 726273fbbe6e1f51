using Slipway.Sandbox;

namespace Slipway.Runtime;

/// <summary>The seam between the platform and where processes actually run. Today: local child processes
/// (<see cref="LocalProcessLauncher"/>); later: a sandbox or a Kubernetes pod behind the same contract.</summary>
internal interface IProcessLauncher
{
    /// <summary>Starts <paramref name="spec"/>; every output line goes to <paramref name="onLine"/> as it arrives.</summary>
    ILaunchedProcess Start(LaunchSpec spec, Action<OutputLine> onLine);

    /// <summary>Takes over a process an earlier platform process started (<see cref="LaunchSpec.Adoptable"/>) if it is
    /// still that process: alive, the same start time, this data directory's owner mark, its cgroup and its output
    /// pipes. Null when it is not (dead, or the pid now belongs to something else): it is then to be replaced.</summary>
    ILaunchedProcess? Adopt(Adoption adoption, Action<OutputLine> onLine);

    /// <summary>The checks of <see cref="Adopt"/> alone, before anything is opened: the start-up sweep spares what passes.</summary>
    bool CanAdopt(Adoption adoption);

    /// <summary>At start, before anything is launched: kills every process tree an earlier platform process of this data
    /// directory left (found by its owner mark and by its cgroup, which a process cannot leave) but those of the
    /// launches in <paramref name="adopted"/> and every launch this launcher started or adopted itself in this platform
    /// process (the database servers, adopted before Recovery calls this), and removes their output FIFOs and cgroups. What goes is decided before it
    /// returns: a process launched after the call is never touched. Returns the trees killed.</summary>
    Task<int> SweepAsync(IReadOnlySet<string> adopted, TimeSpan grace);
}

/// <summary>What was recorded of an adoptable process when it started.</summary>
internal sealed record Adoption(int Pid, string? PidStart, string LaunchKey);

/// <param name="Command">A shell command line (run by /bin/sh -c), as the user wrote it in the manifest.</param>
/// <param name="Environment">The complete environment: nothing of the platform's own environment leaks in.</param>
/// <param name="LowPriority">Builds: nice 10 and idle I/O class, so a build never starves live apps.</param>
internal sealed record LaunchSpec(
    string Command,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    bool LowPriority = false)
{
    /// <summary>Null: <see cref="Command"/> is a shell command line. Otherwise <see cref="Command"/> is a program
    /// run directly with these arguments (servers the platform supervises: the pid is the server's own).</summary>
    public IReadOnlyList<string>? Arguments { get; init; }

    public Isolation Isolation { get; init; } = Isolation.None;

    /// <summary>True (apps, builds, jobs, the database servers): after a kill of the platform, its next start sweeps
    /// this process's group away as a leftover (<see cref="Leftovers"/>) unless it is adopted. False: a process whose
    /// own supervisor shuts it down the way it needs after a kill of the platform (the temporary PostgreSQL of a
    /// point-in-time recovery: a fast shutdown).</summary>
    public bool SweptWhenOrphaned { get; init; } = true;

    /// <summary>True (app instances): the process outlives the platform process that started it. Its output goes
    /// through FIFOs in the run directory (<see cref="OutputFifo"/>), never through pipes that die with the platform,
    /// and the next platform process re-adopts it (<see cref="IProcessLauncher.Adopt"/>).</summary>
    public bool Adoptable { get; init; }

    /// <summary>Runs <paramref name="program"/> with <paramref name="arguments"/>, no shell in between.</summary>
    public static LaunchSpec Exec(string program, IReadOnlyList<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string> environment) =>
        new(program, workingDirectory, environment) { Arguments = arguments };
}

internal enum OutputStream { Stdout, Stderr }

internal static class ExitCodes
{
    /// <summary>An adopted process ended: it is not this platform process's child, so its exit code cannot be known.</summary>
    public const int Unknown = int.MinValue;

    /// <summary><see cref="ILaunchedProcess.DetachAsync"/> ended the watch; the process runs on.</summary>
    public const int Detached = int.MinValue + 1;

    /// <summary>A child's exit code as .NET reports it (128 + N for "killed by signal N") in this convention (-N).</summary>
    public static int Of(System.Diagnostics.Process exited) =>
        exited.ExitCode is > 128 and < 160 and var code ? -(code - 128) : exited.ExitCode;

    /// <summary>"exited with code 1" or "killed by signal 9" (<see cref="ILaunchedProcess.Exited"/>'s convention).</summary>
    public static string Describe(int code) => code switch
    {
        Unknown => "ended (its exit code is unknown: an earlier platform process started it)",
        Detached => "was left running for the next platform process",
        < 0 => $"killed by signal {-code}",
        _ => $"exited with code {code}",
    };
}

internal readonly record struct OutputLine(OutputStream Stream, string Text, DateTimeOffset At);

internal interface ILaunchedProcess : IAsyncDisposable
{
    int Pid { get; }

    /// <summary>Identity of the process beside its pid (start time in clock ticks since boot), so a pid recorded
    /// before a platform restart is never confused with an unrelated process that reused it.</summary>
    string? StartIdentity { get; }

    /// <summary>Completes with the exit code when the main process exits and its output is drained
    /// (negative: killed by that signal).</summary>
    Task<int> Exited { get; }

    /// <summary>What its process tree uses now (memory, CPU time, OOM kills), or at its end once it exited; null when
    /// it is not accounted (not confined in a cgroup).</summary>
    ResourceUsage? Usage();

    /// <summary>SIGTERM to the whole process group, then SIGKILL after <paramref name="grace"/>; completes when
    /// no process of the group is left.</summary>
    Task StopAsync(TimeSpan grace);

    /// <summary>What names its output pipes and cgroup (recorded, for <see cref="IProcessLauncher.Adopt"/>); null when
    /// it is not adoptable.</summary>
    string? LaunchKey { get; }

    /// <summary>Stops watching and reading it without stopping it (the platform process is going away and the next
    /// one adopts it): <see cref="Exited"/> completes with <see cref="ExitCodes.Detached"/>.</summary>
    Task DetachAsync();
}
