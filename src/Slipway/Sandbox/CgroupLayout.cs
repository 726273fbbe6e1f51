using System.Globalization;

namespace Slipway.Sandbox;

/// <summary>Where this machine's cgroup controllers are and how a limit is written to them: cgroup v2 (one unified
/// tree, current distributions) or v1 (a tree per controller, as on older hosts and these build machines). Pure:
/// the files are named and their values computed here; <see cref="Cgroups"/> writes them.
///
///   v1: /sys/fs/cgroup/memory/slipway/OWNER/GROUP/memory.limit_in_bytes, .../pids/.../pids.max, .../cpu/.../cpu.cfs_quota_us
///   v2: /sys/fs/cgroup/slipway/OWNER/GROUP/{memory.max, memory.swap.max, pids.max, cpu.max, cpu.weight}
/// </summary>
internal sealed record CgroupLayout(int Version, IReadOnlyDictionary<string, string> Mounts)
{
    /// <summary>The controllers Slipway uses: memory and pids limits, CPU ceiling and share, CPU time accounting.</summary>
    public static readonly IReadOnlyList<string> Controllers = ["memory", "pids", "cpu", "cpuacct"];

    /// <summary>v1 controllers used when mounted, not required: the freezer stops a group's forks while it is killed.</summary>
    public static readonly IReadOnlyList<string> Optional = ["freezer"];

    private const int CpuPeriodMicroseconds = 100_000;

    /// <summary>From the text of /proc/mounts: v1 when the controllers have mounts of their own (a hybrid host keeps
    /// them there), else v2 when the unified tree is mounted; null when neither is.</summary>
    public static CgroupLayout? Parse(string procMounts)
    {
        var v1 = new Dictionary<string, string>(StringComparer.Ordinal);
        string? unified = null;
        foreach (var line in procMounts.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            if (fields.Length < 4)
            {
                continue;
            }
            var (dir, type, options) = (Unescape(fields[1]), fields[2], fields[3].Split(','));
            if (type == "cgroup2")
            {
                unified ??= dir;
            }
            else if (type == "cgroup")
            {
                foreach (var controller in Controllers.Concat(Optional).Where(options.Contains))
                {
                    v1.TryAdd(controller, dir);
                }
            }
        }
        if (v1.ContainsKey("memory"))
        {
            return new CgroupLayout(1, v1);
        }
        // v2 has no freezer tree of its own: cgroup.kill (or cgroup.freeze) is in every group of the unified tree.
        return unified is null ? null : new CgroupLayout(2, Controllers.ToDictionary(c => c, _ => unified, StringComparer.Ordinal));
    }

    public static CgroupLayout? Detect()
    {
        try
        {
            return Parse(File.ReadAllText("/proc/mounts"));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The controllers of <see cref="Controllers"/> this machine lacks (v1: not mounted; v2: not offered by the
    /// root's cgroup.controllers, where cpuacct is part of cpu).</summary>
    public IReadOnlyList<string> Missing(Func<string, string?>? readFile = null)
    {
        if (Version == 1)
        {
            return Controllers.Where(c => !Mounts.ContainsKey(c)).ToList();
        }
        readFile ??= path => File.Exists(path) ? File.ReadAllText(path) : null;
        var offered = (readFile(Path.Combine(Mounts["memory"], "cgroup.controllers")) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return Controllers.Where(c => c != "cpuacct" && !offered.Contains(c)).ToList();
    }

    /// <summary>Every directory that makes up <paramref name="group"/> (a path like "slipway/OWNER/shop/i-1"): one per
    /// controller tree on v1, the one directory on v2.</summary>
    public IReadOnlyList<string> Directories(string group) =>
        Mounts.Values.Distinct(StringComparer.Ordinal).Select(root => Path.Combine(root, group)).ToList();

    /// <summary>The cgroup.procs files a process writes its pid to, to join <paramref name="group"/> (with all it starts).</summary>
    public IReadOnlyList<string> ProcsFiles(string group) => Directories(group).Select(d => Path.Combine(d, "cgroup.procs")).ToList();

    /// <summary>The tree whose cgroup.procs says which processes a group holds. v1: pids, the controller whose job is to
    /// count a group's processes (pids.current agrees with what is read here); memory where pids is not mounted, as
    /// Parse makes no v1 layout without memory. Every tree lists the same processes (a process joins all of them before
    /// it execs, and a child is born where its parent is), so one is enough. v2: the unified tree.</summary>
    public string TrackingRoot => Mounts.GetValueOrDefault("pids") ?? Mounts["memory"];

    /// <summary>The directory of <paramref name="group"/> in <see cref="TrackingRoot"/>.</summary>
    public string TrackingDirectory(string group) => Path.Combine(TrackingRoot, group);

    /// <summary>The file listing the processes directly in the group at <paramref name="directory"/> (one of its
    /// sub-groups' directories included).</summary>
    public static string ProcsFileIn(string directory) => Path.Combine(directory, "cgroup.procs");

    /// <summary>v2: the file that kills every process of a group and its sub-groups at once (Linux 5.14 and later; check
    /// it exists). Null on v1, which has none.</summary>
    public string? KillFile(string group) => Version == 2 ? Path.Combine(TrackingDirectory(group), "cgroup.kill") : null;

    /// <summary>v1 with the freezer mounted: the group's freezer.state (write FROZEN, read until it says FROZEN, write
    /// THAWED). Null otherwise: v2 kills through <see cref="KillFile"/>.</summary>
    public string? FreezerFile(string group) =>
        Version == 1 && Mounts.TryGetValue("freezer", out var freezer) ? Path.Combine(freezer, group, "freezer.state") : null;

    /// <summary>From the text of /proc/PID/cgroup: the process's cgroup in <see cref="TrackingRoot"/>'s hierarchy, a path
    /// from the hierarchy's root ("/slipway/OWNER/shop/i-1.3"). v1: the line whose controllers include the tracking
    /// controller ("8:pids:/..."; "4:cpu,cpuacct:/..." when controllers share a tree); v2: the "0::" line. Null when the
    /// line is not there.</summary>
    public string? CgroupPathIn(string procCgroup)
    {
        var controller = Version == 1 ? (Mounts.ContainsKey("pids") ? "pids" : "memory") : "";
        foreach (var line in procCgroup.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(':', 3);
            if (fields.Length == 3 && (Version == 2 ? fields[0] == "0" && fields[1] == "" : fields[1].Split(',').Contains(controller)))
            {
                return fields[2];
            }
        }
        return null;
    }

    /// <summary>The group a cgroup path from <see cref="CgroupPathIn"/> names under <paramref name="root"/> ("slipway/OWNER"):
    /// "/slipway/OWNER/shop/i-1.3" is "shop/i-1.3"; null for a path outside it (another platform's, the host's).</summary>
    public static string? GroupUnder(string root, string cgroupPath)
    {
        var prefix = "/" + root.Trim('/') + "/";
        return cgroupPath.StartsWith(prefix, StringComparison.Ordinal) && cgroupPath.Length > prefix.Length
            ? cgroupPath[prefix.Length..].TrimEnd('/')
            : null;
    }

    /// <summary>v2 only: the controllers each ancestor of a group must hand down (cgroup.subtree_control), root first.
    /// Empty on v1, where every controller tree is complete by itself.</summary>
    public IReadOnlyList<CgroupWrite> Delegation(string group)
    {
        if (Version == 1)
        {
            return [];
        }
        var writes = new List<CgroupWrite>();
        var parts = group.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var depth = 0; depth < parts.Length; depth++)
        {
            var dir = Path.Combine([Mounts["memory"], .. parts.Take(depth)]);
            writes.Add(new CgroupWrite(Path.Combine(dir, "cgroup.subtree_control"), "+memory +pids +cpu"));
        }
        return writes;
    }

    /// <summary>The files that set <paramref name="limits"/> on <paramref name="group"/>, in the order to write them
    /// (v1 wants the memory limit before the memory+swap limit, which may not be below it).</summary>
    public IReadOnlyList<CgroupWrite> Writes(string group, ResourceLimits limits)
    {
        string File(string controller, string name) => Path.Combine(Mounts[controller], group, name);
        var writes = new List<CgroupWrite>();
        if (limits.MemoryBytes is { } memory)
        {
            var bytes = memory.ToString(CultureInfo.InvariantCulture);
            if (Version == 1)
            {
                writes.Add(new CgroupWrite(File("memory", "memory.limit_in_bytes"), bytes));
                // Where swap accounting is on, memory+swap gets the same ceiling, so swap is no way around the limit.
                writes.Add(new CgroupWrite(File("memory", "memory.memsw.limit_in_bytes"), bytes, Optional: true));
            }
            else
            {
                writes.Add(new CgroupWrite(File("memory", "memory.max"), bytes));
                writes.Add(new CgroupWrite(File("memory", "memory.swap.max"), "0", Optional: true));
            }
        }
        if (limits.MaxPids is { } pids)
        {
            writes.Add(new CgroupWrite(File("pids", "pids.max"), pids.ToString(CultureInfo.InvariantCulture)));
        }
        if (limits.Cpus is { } cpus)
        {
            var quota = Math.Max(1000, (long)Math.Round(cpus * CpuPeriodMicroseconds)).ToString(CultureInfo.InvariantCulture);
            if (Version == 1)
            {
                writes.Add(new CgroupWrite(File("cpu", "cpu.cfs_period_us"), CpuPeriodMicroseconds.ToString(CultureInfo.InvariantCulture)));
                writes.Add(new CgroupWrite(File("cpu", "cpu.cfs_quota_us"), quota));
            }
            else
            {
                writes.Add(new CgroupWrite(File("cpu", "cpu.max"), $"{quota} {CpuPeriodMicroseconds}"));
            }
        }
        if (limits.CpuWeight is { } weight)
        {
            writes.Add(Version == 1
                // cpu.shares: 1024 is v1's default share, as 100 is v2's default weight.
                ? new CgroupWrite(File("cpu", "cpu.shares"), Math.Max(2, weight * 1024 / 100).ToString(CultureInfo.InvariantCulture))
                : new CgroupWrite(File("cpu", "cpu.weight"), Math.Clamp(weight, 1, 10000).ToString(CultureInfo.InvariantCulture)));
        }
        return writes;
    }

    /// <summary>Which files hold a group's use: (memory now, memory peak, OOM kills, CPU time).</summary>
    public (string Memory, string Peak, string OomEvents, string Cpu) UsageFiles(string group) => Version == 1
        ? (Path.Combine(Mounts["memory"], group, "memory.usage_in_bytes"), Path.Combine(Mounts["memory"], group, "memory.max_usage_in_bytes"),
            Path.Combine(Mounts["memory"], group, "memory.oom_control"), Path.Combine(Mounts.GetValueOrDefault("cpuacct") ?? Mounts["cpu"], group, "cpuacct.usage"))
        : (Path.Combine(Mounts["memory"], group, "memory.current"), Path.Combine(Mounts["memory"], group, "memory.peak"),
            Path.Combine(Mounts["memory"], group, "memory.events"), Path.Combine(Mounts["cpu"], group, "cpu.stat"));

    /// <summary>A group's use from the texts of <see cref="UsageFiles"/> (null where a file could not be read).</summary>
    public ResourceUsage ParseUsage(string? memory, string? peak, string? oomEvents, string? cpu)
    {
        static long? Number(string? text) => long.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        static long? Field(string? text, string name) => text?.Split('\n')
            .Select(l => l.Split(' ', 2))
            .Where(f => f.Length == 2 && f[0] == name)
            .Select(f => Number(f[1]))
            .FirstOrDefault();
        var cpuNanos = Version == 1 ? Number(cpu) : Field(cpu, "usage_usec") * 1000;
        return new ResourceUsage(Number(memory), Number(peak), Field(oomEvents, "oom_kill") ?? 0, cpuNanos);
    }

    // /proc/mounts escapes spaces and a few other characters as octal (\040).
    private static string Unescape(string field) =>
        System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}

/// <param name="Optional">Missing on some kernels (swap accounting off): a failed write is not an error.</param>
internal sealed record CgroupWrite(string File, string Value, bool Optional = false);

/// <param name="MemoryBytes">Memory in use now (page cache included, as the kernel counts it against the limit).</param>
/// <param name="PeakBytes">The most it used since the group was made.</param>
/// <param name="OomKills">Processes of the group the OOM killer killed.</param>
/// <param name="CpuNanoseconds">CPU time used, all cores together.</param>
internal sealed record ResourceUsage(long? MemoryBytes, long? PeakBytes, long OomKills, long? CpuNanoseconds);
