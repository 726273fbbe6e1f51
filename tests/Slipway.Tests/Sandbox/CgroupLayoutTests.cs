using Slipway.Sandbox;

namespace Slipway.Tests.Sandbox;

/// <summary>Which files set a limit on cgroup v1 and v2, from the /proc/mounts text of real hosts.</summary>
public sealed class CgroupLayoutTests
{
    // These build machines: a tree per controller, cpu and cpuacct mounted together.
    private const string V1Mounts = """
        proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
        tmpfs /sys/fs/cgroup tmpfs rw,nosuid,nodev,noexec,relatime,mode=755 0 0
        cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0
        cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,nodev,noexec,relatime,memory 0 0
        cgroup /sys/fs/cgroup/pids cgroup rw,nosuid,nodev,noexec,relatime,pids 0 0
        """;

    // Debian 12, Ubuntu 22.04 and later: the unified tree only.
    private const string V2Mounts = """
        sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
        cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0
        """;

    private static readonly ResourceLimits Limits = new(MemoryBytes: 512L << 20, MaxPids: 100, Cpus: 0.5, CpuWeight: 50);

    [Fact]
    public void A_v1_host_gets_a_directory_per_controller_tree_and_the_v1_files()
    {
        var layout = CgroupLayout.Parse(V1Mounts)!;

        layout.Version.Should().Be(1);
        layout.Missing().Should().BeEmpty();
        layout.Directories("slipway/o/shop/i-1").Should().BeEquivalentTo(
            "/sys/fs/cgroup/cpu,cpuacct/slipway/o/shop/i-1", "/sys/fs/cgroup/memory/slipway/o/shop/i-1", "/sys/fs/cgroup/pids/slipway/o/shop/i-1");
        layout.Delegation("slipway/o/shop/i-1").Should().BeEmpty();
        layout.Writes("g", Limits).Should().Equal(
            new CgroupWrite("/sys/fs/cgroup/memory/g/memory.limit_in_bytes", "536870912"),
            new CgroupWrite("/sys/fs/cgroup/memory/g/memory.memsw.limit_in_bytes", "536870912", Optional: true),
            new CgroupWrite("/sys/fs/cgroup/pids/g/pids.max", "100"),
            new CgroupWrite("/sys/fs/cgroup/cpu,cpuacct/g/cpu.cfs_period_us", "100000"),
            new CgroupWrite("/sys/fs/cgroup/cpu,cpuacct/g/cpu.cfs_quota_us", "50000"),
            new CgroupWrite("/sys/fs/cgroup/cpu,cpuacct/g/cpu.shares", "512"));
    }

    [Fact]
    public void A_v2_host_gets_one_directory_delegation_down_the_path_and_the_v2_files()
    {
        var layout = CgroupLayout.Parse(V2Mounts)!;

        layout.Version.Should().Be(2);
        layout.Directories("slipway/o/g").Should().Equal("/sys/fs/cgroup/slipway/o/g");
        layout.ProcsFiles("slipway/o/g").Should().Equal("/sys/fs/cgroup/slipway/o/g/cgroup.procs");
        layout.Delegation("slipway/o/g").Select(w => w.File).Should().Equal(
            "/sys/fs/cgroup/cgroup.subtree_control", "/sys/fs/cgroup/slipway/cgroup.subtree_control", "/sys/fs/cgroup/slipway/o/cgroup.subtree_control");
        layout.Writes("g", Limits).Should().Equal(
            new CgroupWrite("/sys/fs/cgroup/g/memory.max", "536870912"),
            new CgroupWrite("/sys/fs/cgroup/g/memory.swap.max", "0", Optional: true),
            new CgroupWrite("/sys/fs/cgroup/g/pids.max", "100"),
            new CgroupWrite("/sys/fs/cgroup/g/cpu.max", "50000 100000"),
            new CgroupWrite("/sys/fs/cgroup/g/cpu.weight", "50"));
    }

    [Fact]
    public void Controllers_a_host_lacks_are_named()
    {
        CgroupLayout.Parse(V1Mounts.Replace("cgroup /sys/fs/cgroup/pids cgroup rw,nosuid,nodev,noexec,relatime,pids 0 0", ""))!
            .Missing().Should().Equal("pids");
        CgroupLayout.Parse(V2Mounts)!.Missing(_ => "cpuset cpu io memory hugetlb").Should().Equal("pids");
        CgroupLayout.Parse("proc /proc proc rw 0 0\n").Should().BeNull();
    }

    [Fact]
    public void Usage_is_read_from_either_versions_files()
    {
        var v1 = CgroupLayout.Parse(V1Mounts)!;
        v1.ParseUsage("1048576\n", "2097152\n", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n", "123456789\n")
            .Should().Be(new ResourceUsage(1 << 20, 2 << 20, 2, 123456789));

        var v2 = CgroupLayout.Parse(V2Mounts)!;
        v2.ParseUsage("4096\n", null, "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n", "usage_usec 1500\nuser_usec 1000\n")
            .Should().Be(new ResourceUsage(4096, null, 1, 1_500_000));
    }

    [Fact]
    public void A_tiny_cpu_ceiling_is_raised_to_the_kernels_minimum_quota()
    {
        CgroupLayout.Parse(V2Mounts)!.Writes("g", new ResourceLimits(Cpus: 0.001)).Single().Value.Should().Be("1000 100000");
    }

    [Fact]
    public void A_v1_group_is_tracked_in_the_pids_tree_and_frozen_by_the_freezer_when_it_is_mounted()
    {
        var layout = CgroupLayout.Parse(V1Mounts + "\ncgroup /sys/fs/cgroup/freezer cgroup rw,nosuid,nodev,noexec,relatime,freezer 0 0\n")!;

        layout.TrackingRoot.Should().Be("/sys/fs/cgroup/pids");
        layout.TrackingDirectory("slipway/o/shop/i-1.3").Should().Be("/sys/fs/cgroup/pids/slipway/o/shop/i-1.3");
        CgroupLayout.ProcsFileIn("/sys/fs/cgroup/pids/slipway/o/g").Should().Be("/sys/fs/cgroup/pids/slipway/o/g/cgroup.procs");
        layout.KillFile("slipway/o/g").Should().BeNull();
        layout.FreezerFile("slipway/o/g").Should().Be("/sys/fs/cgroup/freezer/slipway/o/g/freezer.state");
        // The process joins the freezer tree with the others, so freezing its group stops it; the freezer is not required.
        layout.ProcsFiles("g").Should().Contain("/sys/fs/cgroup/freezer/g/cgroup.procs");
        layout.Missing().Should().BeEmpty();
        CgroupLayout.Parse(V1Mounts)!.FreezerFile("slipway/o/g").Should().BeNull();
    }

    [Fact]
    public void A_v1_host_without_pids_tracks_in_the_memory_tree()
    {
        var layout = CgroupLayout.Parse(V1Mounts.Replace("cgroup /sys/fs/cgroup/pids cgroup rw,nosuid,nodev,noexec,relatime,pids 0 0", ""))!;

        layout.TrackingRoot.Should().Be("/sys/fs/cgroup/memory");
        layout.CgroupPathIn("9:pids:/elsewhere\n4:memory:/slipway/o/shop/i-1.3\n").Should().Be("/slipway/o/shop/i-1.3");
    }

    [Fact]
    public void A_v2_group_is_tracked_and_killed_in_the_unified_tree()
    {
        var layout = CgroupLayout.Parse(V2Mounts)!;

        layout.TrackingRoot.Should().Be("/sys/fs/cgroup");
        layout.TrackingDirectory("slipway/o/g.1").Should().Be("/sys/fs/cgroup/slipway/o/g.1");
        layout.KillFile("slipway/o/g.1").Should().Be("/sys/fs/cgroup/slipway/o/g.1/cgroup.kill");
        layout.FreezerFile("slipway/o/g.1").Should().BeNull();
    }

    [Fact]
    public void The_cgroup_of_a_process_is_read_from_the_line_of_the_tracking_hierarchy()
    {
        // /proc/PID/cgroup of a v1 host (cpu and cpuacct sharing a tree) and of a v2 host.
        const string V1Proc = "12:pids:/slipway/o/shop/i-1.3\n11:freezer:/slipway/o/shop/i-1.3\n4:cpu,cpuacct:/slipway/o/shop/i-1.3\n" +
            "3:memory:/user.slice\n1:name=systemd:/user.slice/session-1.scope\n0::/user.slice/session-1.scope\n";
        CgroupLayout.Parse(V1Mounts)!.CgroupPathIn(V1Proc).Should().Be("/slipway/o/shop/i-1.3");
        CgroupLayout.Parse(V2Mounts)!.CgroupPathIn("0::/slipway/o/shop/i-1.3\n").Should().Be("/slipway/o/shop/i-1.3");
        CgroupLayout.Parse(V2Mounts)!.CgroupPathIn("1:name=systemd:/x\n").Should().BeNull();
        // A hybrid host (v1 controllers and the unified tree): v1's line, not "0::".
        CgroupLayout.Parse(V1Mounts)!.CgroupPathIn("0::/slipway/o/g.1\n").Should().BeNull();
    }

    [Fact]
    public void A_cgroup_path_names_a_group_only_under_this_platforms_root()
    {
        CgroupLayout.GroupUnder("slipway/o", "/slipway/o/shop/i-1.3").Should().Be("shop/i-1.3");
        CgroupLayout.GroupUnder("slipway/o", "/slipway/o").Should().BeNull();
        CgroupLayout.GroupUnder("slipway/o", "/slipway/other/shop/i-1.3").Should().BeNull();
        CgroupLayout.GroupUnder("slipway/o", "/").Should().BeNull();
    }
}
