using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Slipway.Cli;

/// <summary>What the admin chose for a production install (`slipway install`'s options): how the platform's server
/// runs. Paths are those of the target machine.</summary>
internal sealed record InstallSpec
{
    public const string DefaultDataDir = ProductionInstall.StateRoot + "/data";

    /// <summary>The platform's data directory (mode 0700). Under the state root rather than the root itself: the
    /// managed databases live beside it, in a directory their unprivileged user must be able to reach.</summary>
    public string DataDir { get; init; } = DefaultDataDir;

    /// <summary>The edge's address: "::" takes every IPv4 and IPv6 address (a dual-stack socket), "0.0.0.0" IPv4 only.</summary>
    public string Listen { get; init; } = "::";

    public int HttpPort { get; init; } = 80;
    public int HttpsPort { get; init; } = 443;

    /// <summary>The ACME contact address (`server --acme-email`); null: none given to the unit.</summary>
    public string? AcmeEmail { get; init; }

    /// <summary>The hostname the platform's API is served under (`server --platform-host`); null: the server's default.</summary>
    public string? PlatformHost { get; init; }

    /// <summary>The `slipway server` command line the unit runs, after the program.</summary>
    public IReadOnlyList<string> ServerArguments()
    {
        var args = new List<string>
        {
            "server", "--data", DataDir, "--databases-dir", ProductionInstall.DatabasesDir, "--listen", Listen,
            "--http-port", HttpPort.ToString(CultureInfo.InvariantCulture), "--https-port", HttpsPort.ToString(CultureInfo.InvariantCulture),
        };
        if (AcmeEmail is not null)
        {
            args.AddRange(["--acme-email", AcmeEmail]);
        }
        if (PlatformHost is not null)
        {
            args.AddRange(["--platform-host", PlatformHost]);
        }
        return args;
    }
}

/// <summary>Whose a unit file at slipway.service's path is.</summary>
internal enum UnitOwner
{
    /// <summary>Written by `slipway install` and unchanged since: an install replaces it, an uninstall removes it.</summary>
    Ours,

    /// <summary>Written by `slipway install`, then edited by hand: replaced only with --force.</summary>
    Changed,

    /// <summary>Not written by `slipway install`: replaced only with --force, never removed by an uninstall.</summary>
    Foreign,
}

/// <summary>The systemd unit of a production install, rendered from an <see cref="InstallSpec"/> (pure: the tests
/// compare its exact text and run `systemd-analyze verify` on it), and read back so an upgrade keeps the choices
/// of the install before it. Its first line carries a checksum of the rest, which tells a unit this program wrote
/// from one changed by hand.</summary>
internal static class SystemdUnit
{
    public const string Marker = "# Written by 'slipway install'";

    /// <summary>The exit status of a platform that `slipway down` stopped (its apps first): the unit does not restart it.</summary>
    public const int DownExitStatus = 10;

    public static string Render(InstallSpec spec)
    {
        var body = $"""
            # 'slipway install' replaces this file (an upgrade keeps its settings), 'slipway uninstall' removes it. Changes of
            # your own go in a drop-in ('systemctl edit slipway'): a unit changed here is replaced only with --force.

            [Unit]
            Description=Slipway deployment platform
            # The edge listens on every address and certificates come from a CA on the internet: start once the network is up.
            After=network-online.target
            Wants=network-online.target
            # Restart=always means always: no start-rate limit that gives up after a few quick failures (a port still held
            # by the program being replaced, a disk that was full).
            StartLimitIntervalSec=0

            [Service]
            # notify: the platform says READY=1 once its edge listens and its API answers. NotifyAccess=all: on an upgrade
            # (ExecReload below) the new version, started beside the running one, announces MAINPID=its own pid and READY=1.
            Type=notify
            NotifyAccess=all
            ExecStart={CommandLine([ProductionInstall.LauncherPath, .. spec.ServerArguments()])}
            # systemctl reload: the running platform starts the installed current version beside itself, hands it the
            # listening sockets and the instances, drains and exits (slipway upgrade). A new version that fails to start
            # leaves the old one serving, and the reload fails with why.
            ExecReload={CommandLine([ProductionInstall.LauncherPath, "upgrade", "--data", spec.DataDir, ProductionInstall.CurrentProgram])}
            # The listening sockets (edge, API, messages) are handed to systemd as the platform makes them (FDSTORE=1) and
            # back to the next start (LISTEN_FDS) after a crash or a 'systemctl restart': connections that arrive meanwhile
            # wait in the backlog, none is refused. systemd keeps them while the unit restarts and closes them once it is
            # stopped; that is what FileDescriptorStorePreserve=restart (systemd 254) would say, and older systems reject the key.
            FileDescriptorStoreMax=16
            Restart=always
            RestartSec=100ms
            # 'slipway down' stops the apps, then the platform exits with this status: it stays down until started again.
            RestartPreventExitStatus={DownExitStatus}
            SuccessExitStatus={DownExitStatus}
            # A stop, restart or crash concerns the platform's own process alone (SIGTERM, SIGKILL after TimeoutStopSec):
            # apps outlive the platform. 'systemctl stop slipway' leaves them running, unreachable until the platform starts
            # again and takes them back; 'slipway down' stops them, and the platform with them.
            KillMode=process
            # The edge drains in-flight requests for up to 45 s when the platform stops.
            TimeoutStopSec=60s
            # Time for a migration of a large state database before READY=1.
            TimeoutStartSec=5min
            # The edge holds two descriptors per proxied connection; apps and databases their own files and sockets.
            LimitNOFILE=1048576
            # Each app has its own pids limit in its cgroup; a limit on the unit would also cap apps and builds that run
            # without one (a machine without cgroups).
            TasksMax=infinity
            # A process the kernel kills for memory (an app over its limit, a build) is the platform's to restart or
            # report, not a reason for systemd to stop the platform.
            OOMPolicy=continue
            # systemd sets no HOME without User=; the platform and the tools it runs unconfined (git, npm, the .NET
            # single-file host) expect root's, as under 'sudo slipway server'.
            Environment=HOME=/root

            # Hardening that leaves intact what the platform does as root: it creates users (useradd writes /etc) and
            # cgroups (/sys/fs/cgroup), starts bubblewrap sandboxes (namespaces, mounts), sets nftables rules, supervises
            # PostgreSQL and redis, and reads the source directories 'slipway deploy DIR' names on this machine.
            # /usr, /boot and /efi read-only: the platform installs nothing. Not "full" (/etc read-only: useradd of the
            # databases' user fails) nor "strict" (every path it writes would have to be listed: data, databases, cache,
            # cgroups, /tmp).
            ProtectSystem=yes
            # No kernel modules loaded from here (CAP_SYS_MODULE dropped). The kernel still loads nf_tables itself when
            # nft first needs it: that modprobe runs outside this unit.
            ProtectKernelModules=yes
            # No reading or clearing the kernel log (CAP_SYSLOG dropped): out-of-memory kills are read from cgroup files.
            ProtectKernelLogs=yes
            # Capabilities no part of the platform uses: rebooting, the clock, raw I/O, process accounting, immutable
            # files, MAC policy, blocking suspend. Everything else stays: bubblewrap needs CAP_SYS_ADMIN and CAP_SETPCAP,
            # setpriv CAP_SETUID and CAP_SETGID, nft CAP_NET_ADMIN, the edge CAP_NET_BIND_SERVICE, cleanup CAP_KILL and
            # CAP_SYS_PTRACE (reading a leftover process's environment).
            CapabilityBoundingSet=~CAP_SYS_BOOT CAP_SYS_TIME CAP_WAKE_ALARM CAP_SYS_RAWIO CAP_SYS_PACCT CAP_LINUX_IMMUTABLE CAP_MAC_ADMIN CAP_MAC_OVERRIDE CAP_BLOCK_SUSPEND
            # Left out on purpose:
            # - ProtectHome, PrivateTmp: 'slipway deploy DIR' on this machine hands the platform a path, often under /home
            #   or /tmp, and apps get a private /tmp from their sandbox anyway.
            # - NoNewPrivileges: every app process already gets it (setpriv); on the platform it would also stop it from
            #   running programs that an AppArmor profile confines, which a no_new_privs process cannot enter.
            # - ProtectControlGroups, ProtectKernelTunables (/sys read-only): the platform creates cgroups.
            # - RestrictNamespaces, PrivateDevices, SystemCallFilter, RestrictAddressFamilies, MemoryDenyWriteExecute:
            #   bubblewrap needs namespaces and mounts, every app inherits a filter, the .NET and Node JITs write code.
            # - Delegate=: the platform's cgroups are not below this unit but at the top of each hierarchy (slipway/OWNER),
            #   so that no stop or restart of the unit reaches its apps.
            # - User=: root is what sandboxes, cgroups, nftables and ports 80 and 443 need; apps run as their own users.

            [Install]
            WantedBy=multi-user.target

            """;
        return $"{Marker} (sha256 {Checksum(body)}).\n{body}";
    }

    /// <summary>Whose the unit text is: ours as written, ours changed by hand, or not ours at all.</summary>
    public static UnitOwner Owner(string text)
    {
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        if (!text.StartsWith(Marker, StringComparison.Ordinal) || newline < 0)
        {
            return UnitOwner.Foreign;
        }
        return text[..newline] == $"{Marker} (sha256 {Checksum(text[(newline + 1)..])})." ? UnitOwner.Ours : UnitOwner.Changed;
    }

    /// <summary>The settings of a unit this program wrote (to keep them on an upgrade); null for any other text.</summary>
    public static InstallSpec? Read(string text)
    {
        if (Owner(text) == UnitOwner.Foreign)
        {
            return null;
        }
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("ExecStart=", StringComparison.Ordinal));
        if (line is null)
        {
            return null;
        }
        var words = Split(line["ExecStart=".Length..]);
        if (words.Count < 2 || words[1] != "server")
        {
            return null;
        }
        var spec = new InstallSpec();
        for (var i = 2; i + 1 < words.Count; i += 2)
        {
            var value = words[i + 1];
            spec = words[i] switch
            {
                "--data" => spec with { DataDir = value },
                "--listen" => spec with { Listen = value },
                "--http-port" when int.TryParse(value, CultureInfo.InvariantCulture, out var port) => spec with { HttpPort = port },
                "--https-port" when int.TryParse(value, CultureInfo.InvariantCulture, out var port) => spec with { HttpsPort = port },
                "--acme-email" => spec with { AcmeEmail = value },
                "--platform-host" => spec with { PlatformHost = value },
                _ => spec,
            };
        }
        return spec;
    }

    /// <summary>A command line as ExecStart= takes it: a word with anything but plain characters in double quotes,
    /// and % and $ doubled so systemd expands neither a specifier nor a variable.</summary>
    public static string CommandLine(IEnumerable<string> words) => string.Join(' ', words.Select(Quote));

    private static string Quote(string word)
    {
        if (word.Any(char.IsControl))
        {
            throw new ArgumentException($"A unit's command line cannot hold control characters: {word}", nameof(word));
        }
        var escaped = word.Replace("%", "%%", StringComparison.Ordinal).Replace("$", "$$", StringComparison.Ordinal);
        return word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "/._-:@+=,%$".Contains(c))
            ? escaped
            : "\"" + escaped.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>The words of a command line <see cref="CommandLine"/> wrote.</summary>
    private static List<string> Split(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var (inWord, quoted) = (false, false);
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted && c == '\\' && i + 1 < line.Length)
            {
                word.Append(line[++i]);
            }
            else if (c == '"')
            {
                (quoted, inWord) = (!quoted, true);
            }
            else if (c == ' ' && !quoted)
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                // A doubled % or $ is one character.
                word.Append(c);
                inWord = true;
                if (c is '%' or '$' && i + 1 < line.Length && line[i + 1] == c)
                {
                    i++;
                }
            }
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        return words;
    }

    private static string Checksum(string body) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)))[..16];
}
