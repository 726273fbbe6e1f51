using Slipway.Sandbox;

namespace Slipway.Tests.Sandbox;

/// <summary>What `doctor` and the start-up log say when the machine lacks part of the sandbox: each gap with the
/// command that fixes it, and the platform still runs.</summary>
public sealed class HostSupportTests
{
    private static readonly CgroupLayout V1 = CgroupLayout.Parse("cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\ncgroup /sys/fs/cgroup/pids cgroup rw,pids 0 0\n")!;

    [Fact]
    public void Each_missing_tool_or_controller_is_named_with_its_install_command()
    {
        var host = new HostSupport(IsRoot: true, Tools: null, Cgroups: V1, MissingControllers: V1.Missing(), Nft: null);

        host.CanSandbox.Should().BeFalse();
        host.CanLimit.Should().BeFalse();
        host.CanFirewall.Should().BeFalse();
        host.Gaps().Should().HaveCount(3);
        host.Gaps()[0].Should().Contain("bubblewrap").And.Contain("apt-get install bubblewrap");
        host.Gaps()[1].Should().Contain("cgroup controllers missing (cpu, cpuacct)");
        host.Gaps()[2].Should().Contain("apt-get install nftables");
    }

    [Fact]
    public void Not_being_root_or_turning_isolation_off_is_said_as_one_gap()
    {
        var tools = new SandboxTools("/usr/bin/bwrap", "/usr/bin/setpriv");
        new HostSupport(false, tools, V1, [], "/usr/sbin/nft").Gaps().Should().ContainSingle().Which.Should().Contain("not root");
        HostSupport.Off.Gaps().Should().ContainSingle().Which.Should().Contain("--isolation off");
        new HostSupport(true, tools, V1, [], "/usr/sbin/nft").Gaps().Should().BeEmpty();
    }
}
