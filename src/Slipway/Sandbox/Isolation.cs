namespace Slipway.Sandbox;

/// <summary>How a launched process is confined: whose uid and gid it runs as, what it may use, what it sees.
/// Plain data on every launch spec, so the launcher decides how (setpriv, bubblewrap and cgroups here; a pod's
/// securityContext, resources and volumes on Kubernetes) and nothing above it changes.</summary>
internal sealed record Isolation
{
    public static readonly Isolation None = new();

    /// <summary>Run as this user instead of the platform's own; null: the platform's user.</summary>
    public ProcessUser? RunAs { get; init; }

    public ResourceLimits Limits { get; init; } = ResourceLimits.None;

    /// <summary>Its own view of the machine (filesystem, process table); null: the host's.</summary>
    public SandboxView? View { get; init; }

    /// <summary>The accounting group (a cgroup below the platform's own) its processes are counted and limited in,
    /// e.g. "shop/i-4k2m9x"; null: none, which only a process without <see cref="Limits"/> may have.</summary>
    public string? Group { get; init; }
}

/// <param name="Name">For messages only; the ids are what the kernel sees.</param>
/// <param name="InPasswd">Whether the system's user database knows it (its groups are then its own); app users
/// are numbers from a reserved range that no file of the host names, and run with no supplementary group.</param>
internal sealed record ProcessUser(string Name, int Uid, int Gid, bool InPasswd = true)
{
    /// <summary>The setpriv arguments that become this user and exec the rest of the command line, so the pid is
    /// the program's own.</summary>
    public IReadOnlyList<string> SetprivArguments(bool dropEverything) =>
    [
        $"--reuid={Uid}", $"--regid={Gid}", InPasswd ? "--init-groups" : "--clear-groups",
        .. dropEverything ? (string[])["--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"] : [],
        "--",
    ];

    /// <summary>The command line that runs <paramref name="program"/> as this user.</summary>
    public (string File, IReadOnlyList<string> Args) Wrap(string program, IEnumerable<string> args) =>
        ("setpriv", [.. SetprivArguments(dropEverything: false), program, .. args]);
}

/// <param name="MemoryBytes">The most memory the process tree may use (the kernel kills past it).</param>
/// <param name="MaxPids">The most processes and threads the tree may have.</param>
/// <param name="Cpus">The most CPU time it may take, in cores (0.5: half of one core); null: no ceiling.</param>
/// <param name="CpuWeight">Relative CPU share under contention (cgroup v2 cpu.weight, 1-10000; 100 is the default).</param>
internal sealed record ResourceLimits(long? MemoryBytes = null, int? MaxPids = null, double? Cpus = null, int? CpuWeight = null)
{
    public static readonly ResourceLimits None = new();

    public bool IsNone => this == None;
}

/// <summary>What a sandboxed process sees: the host's filesystem read-only, a private /tmp and /dev, its own process
/// table, with <see cref="Hidden"/> directories replaced by empty ones and <see cref="Mounts"/> bound on top, in
/// order. The host's network stays (apps reach their databases on 127.0.0.1).</summary>
internal sealed record SandboxView
{
    /// <summary>Directories it must not see at all (the platform's data, the databases, every build cache).</summary>
    public IReadOnlyList<string> Hidden { get; init; } = [];

    public IReadOnlyList<BindMount> Mounts { get; init; } = [];

    public bool Equals(SandboxView? other) =>
        other is not null && Hidden.SequenceEqual(other.Hidden) && Mounts.SequenceEqual(other.Mounts);

    public override int GetHashCode() => HashCode.Combine(Hidden.Count, Mounts.Count);
}

internal sealed record BindMount(string Source, string Target, bool ReadOnly = true);
