using Slipway.Cli;

namespace Slipway.Tests.Cli;

/// <summary>The production install's unit, rendered (pure) and read back, and the install's decisions: exact text.
/// InstallTests checks the same unit with systemd-analyze and the install steps on a real tree.</summary>
public sealed class SystemdUnitTests
{
    /// <summary>The unit's settings, comments and blank lines left out: what systemd acts on.</summary>
    private static List<string> Directives(string unit) =>
        unit.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();

    [Fact]
    public void The_default_unit_runs_the_server_on_80_and_443_with_data_in_var_lib_slipway_restarts_always_and_never_kills_the_apps()
    {
        var unit = SystemdUnit.Render(new InstallSpec());

        Directives(unit).Should().Equal(
            "[Unit]",
            "Description=Slipway deployment platform",
            "After=network-online.target",
            "Wants=network-online.target",
            "StartLimitIntervalSec=0",
            "[Service]",
            "Type=notify",
            "NotifyAccess=all",
            "ExecStart=/usr/local/bin/slipway server --data /var/lib/slipway/data --databases-dir /var/lib/slipway/databases --listen :: --http-port 80 --https-port 443",
            "ExecReload=/usr/local/bin/slipway upgrade --data /var/lib/slipway/data /usr/local/lib/slipway/current/slipway",
            "FileDescriptorStoreMax=16",
            "Restart=always",
            "RestartSec=100ms",
            "RestartPreventExitStatus=10",
            "SuccessExitStatus=10",
            "KillMode=process",
            "TimeoutStopSec=60s",
            "TimeoutStartSec=5min",
            "LimitNOFILE=1048576",
            "TasksMax=infinity",
            "OOMPolicy=continue",
            "Environment=HOME=/root",
            "ProtectSystem=yes",
            "ProtectKernelModules=yes",
            "ProtectKernelLogs=yes",
            "CapabilityBoundingSet=~CAP_SYS_BOOT CAP_SYS_TIME CAP_WAKE_ALARM CAP_SYS_RAWIO CAP_SYS_PACCT CAP_LINUX_IMMUTABLE CAP_MAC_ADMIN CAP_MAC_OVERRIDE CAP_BLOCK_SUSPEND",
            "[Install]",
            "WantedBy=multi-user.target");
        unit.Should().MatchRegex(@"^# Written by 'slipway install' \(sha256 [0-9a-f]{16}\)\.\n");
        unit.Should().EndWith("WantedBy=multi-user.target\n");
    }

    [Fact]
    public void Every_hardening_directive_has_its_reason_above_it()
    {
        var lines = SystemdUnit.Render(new InstallSpec()).Split('\n');

        foreach (var directive in new[]
                 {
                     "ProtectSystem=", "ProtectKernelModules=", "ProtectKernelLogs=", "CapabilityBoundingSet=", "KillMode=", "TasksMax=", "OOMPolicy=", "LimitNOFILE=",
                     "Type=", "ExecReload=", "FileDescriptorStoreMax=", "RestartPreventExitStatus=", "TimeoutStopSec=", "TimeoutStartSec=", "StartLimitIntervalSec=",
                 })
        {
            var at = Array.FindIndex(lines, l => l.StartsWith(directive, StringComparison.Ordinal));
            lines[at - 1].Should().StartWith("#", $"{directive} says why in a comment above it");
        }
        // The directives that would break the platform as root are named as left out, never set.
        var unit = string.Join('\n', lines);
        var leftOut = unit[unit.IndexOf("# Left out on purpose:", StringComparison.Ordinal)..];
        foreach (var left in new[] { "ProtectHome", "PrivateTmp", "NoNewPrivileges", "ProtectControlGroups", "RestrictNamespaces", "SystemCallFilter", "MemoryDenyWriteExecute", "Delegate" })
        {
            leftOut.Should().Contain(left);
            Directives(unit).Should().NotContain(d => d.StartsWith(left + "=", StringComparison.Ordinal));
        }
        Directives(unit).Should().NotContain(d => d.StartsWith("ProtectSystem=strict", StringComparison.Ordinal) || d.StartsWith("ProtectSystem=full", StringComparison.Ordinal));
    }

    [Fact]
    public void Chosen_settings_reach_the_server_flags_quoted_as_systemd_reads_them()
    {
        var spec = new InstallSpec
        {
            DataDir = "/srv/my data/100%$HOME\"x",
            Listen = "0.0.0.0",
            HttpPort = 8080,
            HttpsPort = 8443,
            AcmeEmail = "ops@example.com",
            PlatformHost = "slipway.example.com",
        };

        var directives = Directives(SystemdUnit.Render(spec));
        var execStart = directives.Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal));

        execStart.Should().Be("ExecStart=/usr/local/bin/slipway server --data \"/srv/my data/100%%$$HOME\\\"x\" --databases-dir /var/lib/slipway/databases " +
            "--listen 0.0.0.0 --http-port 8080 --https-port 8443 --acme-email ops@example.com --platform-host slipway.example.com");
        directives.Single(l => l.StartsWith("ExecReload=", StringComparison.Ordinal)).Should()
            .Be("ExecReload=/usr/local/bin/slipway upgrade --data \"/srv/my data/100%%$$HOME\\\"x\" /usr/local/lib/slipway/current/slipway");
        SystemdUnit.Read(SystemdUnit.Render(spec)).Should().Be(spec);
    }

    [Fact]
    public void A_unit_is_ours_as_written_changed_after_an_edit_and_foreign_without_the_mark()
    {
        var unit = SystemdUnit.Render(new InstallSpec { HttpPort = 8081 });

        SystemdUnit.Owner(unit).Should().Be(UnitOwner.Ours);
        SystemdUnit.Owner(unit.Replace("RestartSec=100ms", "RestartSec=30s", StringComparison.Ordinal)).Should().Be(UnitOwner.Changed);
        SystemdUnit.Owner("[Unit]\nDescription=someone else's\n[Service]\nExecStart=/opt/slipway/run\n").Should().Be(UnitOwner.Foreign);
        SystemdUnit.Read("[Service]\nExecStart=/opt/slipway/run server --data /elsewhere\n").Should().BeNull("a unit this program did not write is not read for settings");
        SystemdUnit.Read(unit.Replace("RestartSec=100ms", "RestartSec=30s", StringComparison.Ordinal))!.HttpPort.Should().Be(8081);
    }

    [Fact]
    public void An_upgrade_keeps_the_installed_settings_that_are_not_given_again()
    {
        var installed = new InstallSpec { DataDir = "/srv/slipway", HttpPort = 8081, AcmeEmail = "ops@example.com", Listen = "0.0.0.0" };

        var kept = InstallCommands.Spec(installed, null, null, null, 8443, null, null, ipv6: true);
        kept.Should().Be(installed with { HttpsPort = 8443 });

        InstallCommands.Spec(installed, null, null, null, null, "", null, ipv6: true).AcmeEmail.Should().BeNull("--email \"\" removes it");
        InstallCommands.Spec(null, null, null, null, null, null, null, ipv6: false).Listen.Should().Be("0.0.0.0", "without IPv6, :: cannot be bound");
        InstallCommands.Spec(null, null, null, null, null, null, null, ipv6: true).Should().Be(new InstallSpec());
    }

    [Fact]
    public void Bad_options_are_refused_together_before_anything_is_written()
    {
        var act = () => InstallCommands.Spec(null, null, "localhost", 80, 80, "not-an-address", "bad host!", ipv6: true);

        act.Should().Throw<UserException>().Which.Message.Should()
            .Contain("--listen 'localhost' is not an IP address")
            .And.Contain("--http-port and --https-port must differ")
            .And.Contain("--email 'not-an-address' is not an email address")
            .And.Contain("--platform-host 'bad host!' is not a hostname")
            .And.EndWith("Nothing was installed.");
        ((Action)(() => InstallCommands.Spec(null, "/var/lib/slipway", null, null, null, null, null, ipv6: true))).Should().Throw<UserException>()
            .Which.Message.Should().Contain("--data /var/lib/slipway would hold the databases' directory /var/lib/slipway/databases");
        ((Action)(() => InstallCommands.Spec(null, null, null, 0, 70000, null, null, ipv6: true))).Should().Throw<UserException>()
            .Which.Message.Should().Contain("--http-port 0 is not a port").And.Contain("--https-port 70000 is not a port");
    }

    [Fact]
    public void Only_root_installs_on_the_machine_itself_while_staging_and_printing_need_no_root()
    {
        InstallCommands.RootRefusal("install", privileged: false, root: null, dryRun: false).Should()
            .Contain("slipway install must run as root").And.Contain("sudo ./slipway install").And.Contain("--root DIR");
        InstallCommands.RootRefusal("uninstall", privileged: false, root: null, dryRun: false).Should().Contain("sudo ./slipway uninstall");
        InstallCommands.RootRefusal("install", privileged: true, root: null, dryRun: false).Should().BeNull();
        InstallCommands.RootRefusal("install", privileged: false, root: "/tmp/stage", dryRun: false).Should().BeNull();
        InstallCommands.RootRefusal("install", privileged: false, root: null, dryRun: true).Should().BeNull();
    }

    [Fact]
    public void A_stopped_service_is_started_a_running_one_upgraded_in_place_and_restarted_only_for_new_settings()
    {
        InstallCommands.ServiceSteps(running: false, settingsChanged: false).Should().BeEquivalentTo(
            new[] { new[] { "daemon-reload" }, ["enable", "--now", "slipway"] }, o => o.WithStrictOrdering());
        InstallCommands.ServiceSteps(running: false, settingsChanged: true).Should().BeEquivalentTo(
            new[] { new[] { "daemon-reload" }, ["enable", "--now", "slipway"] }, o => o.WithStrictOrdering());
        InstallCommands.ServiceSteps(running: true, settingsChanged: false).Should().BeEquivalentTo(
            new[] { new[] { "daemon-reload" }, ["enable", "slipway"], ["reload", "slipway"] }, o => o.WithStrictOrdering());
        InstallCommands.ServiceSteps(running: true, settingsChanged: true).Should().BeEquivalentTo(
            new[] { new[] { "daemon-reload" }, ["enable", "slipway"], ["restart", "slipway"] }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void A_version_is_named_by_its_version_and_a_short_hash_of_its_files()
    {
        const string hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

        ProductionInstall.VersionId("1.4.0+3382d4f38d746d8c5e377e8889b7616710922d72", hash).Should().Be("1.4.0+3382d4f-01234567");
        ProductionInstall.VersionId("1.4.0", hash).Should().Be("1.4.0-01234567");
        ProductionInstall.VersionId("1.4.0-rc.1+ab", hash).Should().Be("1.4.0-rc.1+ab-01234567");
        ProductionInstall.VersionId("../1 2/x", hash).Should().Be("_1_2_x-01234567", "a version never names another directory, nor a hidden one");
        ProductionInstall.VersionId("", hash).Should().Be("0-01234567");
    }
}