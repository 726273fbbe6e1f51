namespace Slipway.Runtime;

/// <summary>How a launched process is confined: whose uid and gid it runs as, what it may use, what it sees.
/// Plain data on every <see cref="LaunchSpec"/>, so the launcher behind <see cref="IProcessLauncher"/> decides
/// how (setpriv today; namespaces, cgroups and bind mounts for sandboxed apps; a pod's securityContext,
/// resources and volumes on Kubernetes) and nothing above it changes.</summary>
internal sealed record Isolation
{
    public static readonly Isolation None = new();

    /// <summary>Run as this user instead of the platform's own; null: the platform's user.</summary>
    public ProcessUser? RunAs { get; init; }

    public ResourceLimits Limits { get; init; } = ResourceLimits.None;

    /// <summary>Bind mounts of the process's view of the filesystem, in order; empty: the host's filesystem.</summary>
    public IReadOnlyList<BindMount> Mounts { get; init; } = [];

    public bool Equals(Isolation? other) =>
        other is not null && RunAs == other.RunAs && Limits == other.Limits && Mounts.SequenceEqual(other.Mounts);

    public override int GetHashCode() => HashCode.Combine(RunAs, Limits, Mounts.Count);
}

/// <param name="Name">For messages only; the ids are what the kernel sees.</param>
internal sealed record ProcessUser(string Name, int Uid, int Gid)
{
    /// <summary>The command line that runs <paramref name="program"/> as this user: setpriv, which execs it, so
    /// the pid is the program's own.</summary>
    public (string File, IReadOnlyList<string> Args) Wrap(string program, IEnumerable<string> args) =>
        ("setpriv", [$"--reuid={Uid}", $"--regid={Gid}", "--init-groups", "--", program, .. args]);
}

/// <param name="MemoryBytes">The most memory the process tree may use (the kernel kills past it).</param>
/// <param name="MaxPids">The most processes and threads the tree may have.</param>
/// <param name="CpuWeight">Relative CPU share (cgroup v2 cpu.weight, 1-10000; 100 is the default).</param>
internal sealed record ResourceLimits(long? MemoryBytes = null, int? MaxPids = null, int? CpuWeight = null)
{
    public static readonly ResourceLimits None = new();

    public bool IsNone => this == None;
}

internal sealed record BindMount(string Source, string Target, bool ReadOnly = true);
