using Slipway.Sandbox;

namespace Slipway.Tests.Sandbox;

/// <summary>The exact command line a confined process starts with: the order of the wrappers is what makes the
/// cgroup count everything and the uid change happen last, inside the sandbox.</summary>
public sealed class ConfinedCommandTests
{
    private static readonly IReadOnlyList<RootEntry> Root =
        [new("usr"), new("bin", "usr/bin"), new("etc"), new("var"), new("proc"), new("tmp"), new("root"), new("home"), new("srv")];

    private static readonly SandboxTools Tools = new("/usr/bin/bwrap", "/usr/bin/setpriv");

    private static readonly ProcessUser AppUser = new("slipway-shop", 700000001, 700000001, InPasswd: false);

    [Fact]
    public void A_sandboxed_build_joins_its_cgroups_lowers_its_priority_then_enters_bwrap_then_becomes_its_user()
    {
        var isolation = new Isolation
        {
            RunAs = AppUser,
            View = new SandboxView
            {
                Hidden = ["/var/lib/slipway", "/var/lib/slipway/databases", "/srv/cache/"],
                Mounts = [new BindMount("/var/lib/slipway/sandbox/700000001/passwd", "/etc/passwd"),
                    new BindMount("/var/lib/slipway/builds/shop/b-1", "/var/lib/slipway/builds/shop/b-1", ReadOnly: false)],
            },
        };

        var line = ConfinedCommand.Build("/bin/sh", ["-c", "npm ci"], "/var/lib/slipway/builds/shop/b-1", isolation, lowPriority: true,
            ["/sys/fs/cgroup/memory/g/cgroup.procs", "/sys/fs/cgroup/pids/g/cgroup.procs"], Root, Tools);

        line.Should().Equal(
            "/bin/sh", "-c", ConfinedCommand.JoinScript, "slipway-join", "/sys/fs/cgroup/memory/g/cgroup.procs", "/sys/fs/cgroup/pids/g/cgroup.procs", "--",
            "nice", "-n", "10", "ionice", "-c", "3",
            "/usr/bin/bwrap",
            // The host's top level, read-only, but the kernel's filesystems, /tmp and the homes; links made again.
            "--symlink", "usr/bin", "/bin", "--ro-bind", "/etc", "/etc", "--ro-bind", "/srv", "/srv", "--ro-bind", "/usr", "/usr", "--ro-bind", "/var", "/var",
            "--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--tmpfs", "/tmp",
            // The platform's data hidden once (its databases are under it already), the cache too.
            "--perms", "0755", "--tmpfs", "/srv/cache", "--perms", "0755", "--tmpfs", "/var/lib/slipway",
            "--ro-bind", "/var/lib/slipway/sandbox/700000001/passwd", "/etc/passwd",
            // The build's ancestors exist only inside the hidden tmpfs: made, readable, then the build bound writable.
            "--perms", "0755", "--dir", "/var/lib/slipway/builds", "--perms", "0755", "--dir", "/var/lib/slipway/builds/shop",
            "--bind", "/var/lib/slipway/builds/shop/b-1", "/var/lib/slipway/builds/shop/b-1",
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "app", "--chdir", "/var/lib/slipway/builds/shop/b-1",
            "--",
            "/usr/bin/setpriv", "--reuid=700000001", "--regid=700000001", "--clear-groups", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--",
            "/bin/sh", "-c", "npm ci");
    }

    [Fact]
    public void An_unconfined_process_runs_as_given_and_a_user_alone_only_changes_ids()
    {
        ConfinedCommand.Build("node", ["server.js"], "/app", Isolation.None, lowPriority: false, [], Root, Tools)
            .Should().Equal("node", "server.js");

        ConfinedCommand.Build("node", ["server.js"], "/app", new Isolation { RunAs = new ProcessUser("nobody", 65534, 65534) }, false, [], Root, Tools)
            .Should().Equal("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--init-groups", "--", "node", "server.js");
    }

    [Fact]
    public void A_hidden_directory_outside_every_bound_one_needs_no_mount()
    {
        var args = ConfinedCommand.BwrapArguments(new SandboxView { Hidden = ["/root/.slipway", "/tmp/slipway-data"] }, "/", Root);

        args.Should().NotContain("/root/.slipway").And.NotContain("/tmp/slipway-data");
    }
}
