using System.Runtime.InteropServices;

namespace Slipway.Sandbox;

/// <summary>What this machine offers for confining apps, found once at start: root (to give each app environment
/// its own uid and to make cgroups), bubblewrap (namespaces and the filesystem view), setpriv (the uid switch),
/// the cgroup controllers (limits and accounting) and nft (the port rules). What is missing is said by `slipway
/// doctor` and the start-up log, with the command that installs it; the platform runs without it rather than fail.</summary>
internal sealed record HostSupport(bool IsRoot, SandboxTools? Tools, CgroupLayout? Cgroups, IReadOnlyList<string> MissingControllers, string? Nft)
{
    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    /// <summary>Isolation turned off (--isolation off): apps run as the platform's user, unlimited.</summary>
    public static readonly HostSupport Off = new(false, null, null, [], null) { TurnedOff = true };

    public bool TurnedOff { get; init; }

    public static HostSupport Detect()
    {
        var tools = Find("bwrap") is { } bwrap && Find("setpriv") is { } setpriv ? new SandboxTools(bwrap, setpriv) : null;
        var cgroups = CgroupLayout.Detect();
        return new HostSupport(GetEuid() == 0, tools, cgroups, cgroups?.Missing() ?? CgroupLayout.Controllers, Find("nft"));
    }

    /// <summary>Each app environment runs as its own user, in its own sandbox.</summary>
    public bool CanSandbox => IsRoot && Tools is not null;

    /// <summary>Memory, pids and CPU limits and per-instance accounting.</summary>
    public bool CanLimit => IsRoot && Cgroups is not null && MissingControllers.Count == 0;

    /// <summary>Apps cannot connect to each other's instance ports, and no other machine can.</summary>
    public bool CanFirewall => IsRoot && Nft is not null;

    /// <summary>One line per isolation this machine cannot give, saying what is missing and how to get it.</summary>
    public IReadOnlyList<string> Gaps()
    {
        if (TurnedOff)
        {
            return ["isolation is turned off (--isolation off): every app runs as the platform's user, unlimited, and can read the platform's data"];
        }
        var gaps = new List<string>();
        if (!IsRoot)
        {
            gaps.Add("the platform is not root: apps run as its own user (no user per app environment), without resource limits or port rules, " +
                "and can read what it can; run it as root (e.g. under systemd) for isolation");
            return gaps;
        }
        if (Tools is null)
        {
            gaps.Add("bubblewrap (bwrap) or setpriv is missing: apps run as the platform's user with the machine's whole filesystem in view; install it: apt-get install bubblewrap util-linux");
        }
        if (Cgroups is null || MissingControllers.Count > 0)
        {
            gaps.Add($"cgroup controllers missing ({(Cgroups is null ? "no cgroup filesystem mounted" : string.Join(", ", MissingControllers))}): " +
                "no memory, pids or CPU limits and no per-instance accounting; mount them (cgroup v2: systemd does; v1: mount -t cgroup -o memory cgroup /sys/fs/cgroup/memory, ...)");
        }
        if (Nft is null)
        {
            gaps.Add("nftables (nft) is missing: apps can connect to each other's instance ports, and other machines to ports an app opens on 0.0.0.0; install it: apt-get install nftables");
        }
        return gaps;
    }

    private static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/bin", "/sbin", "/bin"])
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
}
