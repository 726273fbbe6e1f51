using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Mail;

namespace Slipway.Cli;

/// <summary>slipway install | uninstall: the platform as a systemd service on a server (ports 80 and 443, data in
/// /var/lib/slipway), installed from the program that runs the command.
///
///   install:   check (root, files not ours) → copy the program into versions/ID, point current at it, write the
///              launcher and the unit (ProductionInstall) → systemctl daemon-reload, enable, then: not running → start;
///              running → reload (ExecReload: `slipway upgrade` to current, beside the running one, apps untouched), or
///              restart when the server's settings changed → wait for it → the setup code
///   uninstall: the apps stopped by the platform (as `slipway down`; the unit told not to restart it meanwhile)
///              → systemctl disable --now → remove unit, launcher, program → daemon-reload; the data stays unless --purge
///
/// Where systemd is not running (no /run/systemd/system), and always with --root, no systemctl is called: the
/// command says what to run instead.</summary>
internal static class InstallCommands
{
    public const string Service = "slipway";

    public static IEnumerable<Command> Create(CliContext cli)
    {
        yield return Install(cli);
        yield return Uninstall(cli);
    }

    private static readonly Option<string> Root = new("--root")
    {
        Description = "Install under this directory instead of / (tests, packaging): no systemctl calls",
    };

    private static Command Install(CliContext cli)
    {
        var httpPort = new Option<int?>("--http-port") { Description = "The edge's HTTP port (default 80)" };
        var httpsPort = new Option<int?>("--https-port") { Description = "The edge's HTTPS port (default 443)" };
        var listen = new Option<string>("--listen") { Description = "The edge's address (default :: on a machine with IPv6, every IPv4 and IPv6 address; else 0.0.0.0)" };
        var email = new Option<string>("--email") { Description = "Contact address for the certificate authority (server --acme-email)" };
        var platformHost = new Option<string>("--platform-host") { Description = "The hostname the platform's API is served under, for 'slipway login https://HOST'" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the unit and what would be written; change nothing" };
        var force = new Option<bool>("--force") { Description = "Replace a unit, launcher or program directory that slipway install did not write (or that was changed)" };
        var command = new Command("install", "Install this Slipway as a systemd service (restart always, ports 80 and 443, data in " +
            $"{InstallSpec.DefaultDataDir} or --data), and start it; run again to upgrade: a running platform hands over to the new version, its apps keep running")
        {
            Root, httpPort, httpsPort, listen, email, platformHost, dryRun, force,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var root = parse.GetValue(Root) is { Length: > 0 } r ? Path.GetFullPath(r) : null;
            var dry = parse.GetValue(dryRun);
            if (RootRefusal("install", Environment.IsPrivilegedProcess, root, dry) is { } refusal)
            {
                throw new UserException(refusal);
            }
            var install = new ProductionInstall(root ?? "");
            var previous = install.Installed();
            var spec = Spec(previous, parse.GetValue(CliContext.Data), parse.GetValue(listen), parse.GetValue(httpPort), parse.GetValue(httpsPort),
                parse.GetValue(email), parse.GetValue(platformHost), System.Net.Sockets.Socket.OSSupportsIPv6);
            var source = ProductionInstall.ProgramSource.Running();
            var dotnetRoot = source.FrameworkDependent ? DotnetRoot() : null;
            if (dry)
            {
                await cli.Out.WriteAsync(SystemdUnit.Render(spec));
                await cli.Out.WriteLineAsync();
                await cli.Out.WriteLineAsync($"# --dry-run: nothing was written. install would copy {source.SingleFile ?? source.Directory} to a version directory in {install.OnDisk(ProductionInstall.VersionsDir)}, " +
                    $"write {install.OnDisk(ProductionInstall.LauncherPath)} and {install.OnDisk(ProductionInstall.UnitPath)} (above), " +
                    $"and keep the data in {install.OnDisk(spec.DataDir)}.");
                return 0;
            }
            if (!parse.GetValue(force) && install.ForeignFiles() is { Count: > 0 } foreign)
            {
                throw new UserException($"Not replacing what slipway install did not write: {string.Join("; ", foreign)}. Move it aside, or run " +
                    "install again with --force to replace it (changes of your own to the unit belong in a drop-in: systemctl edit slipway).");
            }
            var upgrade = install.IsInstalled;
            var before = install.CurrentVersion();
            var version = install.Install(spec, source, dotnetRoot);
            await cli.Out.WriteLineAsync($"{(upgrade ? "Upgraded" : "Installed")} Slipway {ProductionInstall.RunningVersion()}: {install.OnDisk(ProductionInstall.VersionsDir)}/{version} " +
                $"(now {install.OnDisk(ProductionInstall.CurrentLink)}), {install.OnDisk(ProductionInstall.LauncherPath)}, {install.OnDisk(ProductionInstall.UnitPath)}; data in {install.OnDisk(spec.DataDir)}.");
            if (previous is not null && previous.DataDir != spec.DataDir)
            {
                await cli.Out.WriteLineAsync($"The data directory changed from {previous.DataDir}, which is left as it is.");
            }
            if (dotnetRoot is not null)
            {
                await cli.Out.WriteLineAsync($"It runs on the .NET runtime in {dotnetRoot} (a self-contained build, as ./slipway makes, would need none).");
            }
            var command = SystemdUnit.CommandLine([ProductionInstall.LauncherPath, .. spec.ServerArguments()]);
            if (root is not null)
            {
                await cli.Out.WriteLineAsync($"Staged under {root} (--root): no service was started.");
                return 0;
            }
            if (!SystemdRunning())
            {
                await cli.Out.WriteLineAsync("systemd is not running on this machine (no /run/systemd/system), so the service was not started. " +
                    $"Where it runs: systemctl daemon-reload && systemctl enable --now {Service}. Here, start the platform yourself: {command}");
                return 0;
            }
            var steps = ServiceSteps(await SystemctlSucceedsAsync(["is-active", "--quiet", Service], token), previous is not null && previous != spec);
            foreach (var step in steps)
            {
                if (step is ["reload", ..])
                {
                    try
                    {
                        await ReloadAsync(cli, token);
                    }
                    catch (UserException) when (before is not null && before != version)
                    {
                        // The new version did not take over: current names the one that serves again, so a restart,
                        // a crash or a reboot starts it and not the version that failed.
                        install.PointCurrentAt(before);
                        await cli.Err.WriteLineAsync($"{install.OnDisk(ProductionInstall.CurrentLink)} points at {before} again.");
                        throw;
                    }
                }
                else
                {
                    await SystemctlAsync(step, token);
                }
            }
            await WaitForPlatformAsync(cli, spec.DataDir, token);
            return 0;
        }));
        return command;
    }

    private static Command Uninstall(CliContext cli)
    {
        var purge = new Option<bool>("--purge") { Description = "Also delete the data: apps, databases, backups, certificates, keys (cannot be undone)" };
        var command = new Command("uninstall", "Stop and remove the systemd service and the installed program; the data stays unless --purge")
        {
            Root, purge,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var root = parse.GetValue(Root) is { Length: > 0 } r ? Path.GetFullPath(r) : null;
            if (RootRefusal("uninstall", Environment.IsPrivilegedProcess, root, dryRun: false) is { } refusal)
            {
                throw new UserException(refusal);
            }
            var install = new ProductionInstall(root ?? "");
            var dataDir = install.Installed()?.DataDir ?? parse.GetValue(CliContext.Data) ?? InstallSpec.DefaultDataDir;
            var hadUnit = File.Exists(install.OnDisk(ProductionInstall.UnitPath));
            var systemd = root is null && SystemdRunning();
            if (systemd && hadUnit)
            {
                // A stop of the service leaves the apps running (they outlive the platform): the platform stops them first.
                await StopAppsAsync(cli, dataDir, token);
                await SystemctlAsync(["disable", "--now", Service], token);
                File.Delete(StopDropIn);
            }
            using (var api = new ApiClient(install.OnDisk(dataDir)))
            {
                if (await api.IsUpAsync(token))
                {
                    // Started by hand (no systemd here): its data is in use, and it runs on from the removed files until stopped.
                    var stop = $"stop it first ('slipway --data {dataDir} down', or the way you started it)";
                    if (parse.GetValue(purge))
                    {
                        throw new UserException($"A Slipway platform is running on {dataDir}: {stop}, then uninstall --purge.");
                    }
                    await cli.Err.WriteLineAsync($"warning: a Slipway platform is still running on {dataDir}; {stop}.");
                }
            }
            var left = install.Uninstall(dataDir, parse.GetValue(purge));
            if (systemd && hadUnit)
            {
                await SystemctlAsync(["daemon-reload"], token);
            }
            await cli.Out.WriteLineAsync($"Removed the {Service} service and the program{(root is null ? "" : $" under {root}")}.");
            foreach (var item in left)
            {
                await cli.Out.WriteLineAsync($"Left in place: {item}.");
            }
            await cli.Out.WriteLineAsync(parse.GetValue(purge)
                ? $"Deleted the data: {install.OnDisk(dataDir)} and {install.OnDisk(ProductionInstall.StateRoot)}."
                : $"The data stays in {install.OnDisk(dataDir)} (and the databases in {install.OnDisk(ProductionInstall.DatabasesDir)}): " +
                  "'slipway install' again picks it up; 'slipway uninstall --purge' deletes it.");
            return 0;
        }));
        return command;
    }

    /// <summary>Why the command may not run, or null. Writing /etc and /usr/local needs root; staging under --root
    /// and printing (--dry-run) do not.</summary>
    public static string? RootRefusal(string command, bool privileged, string? root, bool dryRun) =>
        privileged || root is not null || dryRun ? null
        : $"slipway {command} must run as root: it writes {ProductionInstall.UnitPath} and {ProductionInstall.ProgramDir}, and manages the service " +
          $"(the platform runs as root to sandbox apps). Run it with sudo (sudo ./slipway {command} ...), or give --root DIR to stage the files under DIR.";

    /// <summary>The install's settings: what was given now, else what the installed unit had (an upgrade keeps it),
    /// else the defaults. Checked whole before anything is written.</summary>
    public static InstallSpec Spec(InstallSpec? previous, string? data, string? listen, int? httpPort, int? httpsPort, string? email,
        string? platformHost, bool ipv6)
    {
        var spec = previous ?? new InstallSpec { Listen = ipv6 ? "::" : "0.0.0.0" };
        spec = spec with
        {
            DataDir = data is { Length: > 0 } ? Path.GetFullPath(data) : spec.DataDir,
            Listen = listen ?? spec.Listen,
            HttpPort = httpPort ?? spec.HttpPort,
            HttpsPort = httpsPort ?? spec.HttpsPort,
            AcmeEmail = email is null ? spec.AcmeEmail : email.Trim() is { Length: > 0 } e ? e : null,
            PlatformHost = platformHost is null ? spec.PlatformHost : platformHost.Trim().TrimEnd('.').ToLowerInvariant() is { Length: > 0 } h ? h : null,
        };
        var errors = new List<string>();
        if (!IPAddress.TryParse(spec.Listen, out _))
        {
            errors.Add($"--listen '{spec.Listen}' is not an IP address (:: for every address, 0.0.0.0 for every IPv4 one)");
        }
        foreach (var (name, port) in new[] { ("--http-port", spec.HttpPort), ("--https-port", spec.HttpsPort) })
        {
            if (port is < 1 or > 65535)
            {
                errors.Add($"{name} {port} is not a port number from 1 to 65535");
            }
        }
        if (spec.HttpPort == spec.HttpsPort)
        {
            errors.Add("--http-port and --https-port must differ");
        }
        if (spec.AcmeEmail is { } address && (!MailAddress.TryCreate(address, out var parsed) || parsed.Address != address || !address.Contains('.', StringComparison.Ordinal)))
        {
            errors.Add($"--email '{address}' is not an email address like ops@example.com");
        }
        if (spec.PlatformHost is { } host && (host.Length > 253 || !host.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.')))
        {
            errors.Add($"--platform-host '{host}' is not a hostname like slipway.example.com");
        }
        if (spec.DataDir.Any(char.IsControl) || spec.DataDir.TrimEnd('/').Length == 0)
        {
            errors.Add($"--data '{spec.DataDir}' cannot be a data directory");
        }
        else if (RealPaths.IsUnderResolved(ProductionInstall.DatabasesDir, spec.DataDir.TrimEnd('/')))
        {
            // The platform keeps its data directory private (0700); PostgreSQL runs as its own user and must reach its files.
            errors.Add($"--data {spec.DataDir} would hold the databases' directory {ProductionInstall.DatabasesDir}, which their own user " +
                $"cannot reach inside the private data directory: use {InstallSpec.DefaultDataDir} (the default) or a directory outside {ProductionInstall.StateRoot}");
        }
        return errors.Count == 0 ? spec : throw new UserException(string.Join("; ", errors) + ". Nothing was installed.");
    }

    /// <summary>The systemctl calls that start the installed unit. Not running (a first install, a stopped service): enable
    /// and start it. Running: the platform takes the new version by an upgrade (reload: ExecReload runs `slipway upgrade`
    /// to current; apps and connections untouched); when the server's settings (ports, address, data) changed, an
    /// upgrade cannot apply them and the service restarts (apps keep running; the edge is away for the restart).</summary>
    public static IReadOnlyList<string[]> ServiceSteps(bool running, bool settingsChanged) => (running, settingsChanged) switch
    {
        (false, _) => [["daemon-reload"], ["enable", "--now", Service]],
        (true, false) => [["daemon-reload"], ["enable", Service], ["reload", Service]],
        (true, true) => [["daemon-reload"], ["enable", Service], ["restart", Service]],
    };

    /// <summary>systemctl reload: the running platform hands over to the installed version. When it cannot (the new
    /// version does not start, or the running one is older than `slipway upgrade`), the old one keeps serving.</summary>
    private static async Task ReloadAsync(CliContext cli, CancellationToken token)
    {
        var (ok, output) = await RunSystemctlAsync(["reload", Service], token);
        if (!ok)
        {
            throw new UserException($"The running platform did not take the new version ({output}); it keeps serving on the version it runs. " +
                $"See why with 'journalctl -u {Service} -e'. A platform from before 'slipway upgrade' cannot hand over: 'sudo systemctl restart {Service}' " +
                "starts the new version instead (such an old platform stops its apps when it stops, and starts them again).");
        }
        await cli.Out.WriteLineAsync("The running platform handed over to the new version; its apps kept running.");
    }

    /// <summary>Whether systemd is this machine's init (the test sd_booted() makes).</summary>
    public static bool SystemdRunning() => Directory.Exists("/run/systemd/system");

    /// <summary>The .NET installation this process runs on: shared/Microsoft.NETCore.App/VERSION/ is three levels below it.</summary>
    private static string DotnetRoot() =>
        Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    private static async Task SystemctlAsync(string[] args, CancellationToken token)
    {
        var (ok, output) = await RunSystemctlAsync(args, token);
        if (!ok)
        {
            throw new UserException($"'systemctl {string.Join(' ', args)}' failed: {output}. " +
                $"See 'systemctl status {Service}' and 'journalctl -u {Service} -e'.");
        }
    }

    private static async Task<bool> SystemctlSucceedsAsync(string[] args, CancellationToken token) => (await RunSystemctlAsync(args, token)).Ok;

    private static async Task<(bool Ok, string Output)> RunSystemctlAsync(string[] args, CancellationToken token)
    {
        var psi = new ProcessStartInfo("systemctl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync(token);
        var error = process.StandardError.ReadToEndAsync(token);
        await process.WaitForExitAsync(token);
        return (process.ExitCode == 0, (await error + await output).Trim());
    }

    /// <summary>A drop-in in /run (gone at reboot) that keeps systemd from starting the platform again while `down` or an
    /// uninstall stops it: the exit status of `slipway down` says the same, but systemd cannot see the status of a
    /// platform that an upgrade started (not systemd's child).</summary>
    private const string StopDropIn = "/run/systemd/system/" + Service + ".service.d/50-slipway-stop.conf";

    /// <summary>`slipway down` of the platform the installed service runs on <paramref name="dataDir"/> (as root, with
    /// systemd running): it stops the apps and stays down until `systemctl start slipway`, an upgraded platform (not
    /// systemd's child, whose exit status systemd cannot see) included. False when the service does not run it.</summary>
    public static async Task<bool> DownAsync(CliContext cli, string dataDir, CancellationToken token)
    {
        if (!Environment.IsPrivilegedProcess || !SystemdRunning() || new ProductionInstall("").Installed() is not { } spec ||
            Path.GetFullPath(spec.DataDir) != Path.GetFullPath(dataDir) || !await SystemctlSucceedsAsync(["is-active", "--quiet", Service], token))
        {
            return false;
        }
        await StopAppsAsync(cli, dataDir, token);
        File.Delete(StopDropIn);
        await SystemctlAsync(["daemon-reload"], token);
        await cli.Out.WriteLineAsync($"Slipway and its apps stopped (data: {dataDir}); 'systemctl start {Service}' starts them again.");
        return true;
    }

    /// <summary>What `slipway down` does, for the service: the platform stops its apps and exits, and stays down.</summary>
    private static async Task StopAppsAsync(CliContext cli, string dataDir, CancellationToken token)
    {
        using var api = new ApiClient(dataDir);
        if (!await api.IsUpAsync(token))
        {
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(StopDropIn)!);
        await File.WriteAllTextAsync(StopDropIn, "# Written by 'slipway down' or 'slipway uninstall' while it stops the platform.\n[Service]\nRestart=no\n", token);
        await SystemctlAsync(["daemon-reload"], token);
        await cli.Out.WriteLineAsync("Stopping the apps and the platform...");
        await api.PostAsync<System.Text.Json.JsonElement?>("v1/shutdown", null, token).ContinueWith(_ => { }, TaskScheduler.Default);
        var deadline = Stopwatch.StartNew();
        while (await SystemctlSucceedsAsync(["is-active", "--quiet", Service], token) && deadline.Elapsed < TimeSpan.FromSeconds(120))
        {
            await Task.Delay(250, token);
        }
    }

    /// <summary>After a start: waits until the platform answers on its socket, then prints how to create the owner
    /// (the one-time setup code, while there is no user) or how to reach it.</summary>
    private static async Task WaitForPlatformAsync(CliContext cli, string dataDir, CancellationToken token)
    {
        using var api = new ApiClient(dataDir);
        var deadline = Stopwatch.StartNew();
        while (!await api.IsUpAsync(token))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new UserException($"The {Service} service was started but the platform did not answer within 60 s. " +
                    $"See why with 'journalctl -u {Service} -e' (a port already in use is the usual cause), and 'systemctl status {Service}'.");
            }
            await Task.Delay(250, token);
        }
        await cli.Out.WriteLineAsync($"The {Service} service is running; it starts at boot and restarts after a crash. Logs: journalctl -u {Service} -f");
        var setupCode = Path.Combine(dataDir, "setup-code");
        if (File.Exists(setupCode))
        {
            await cli.Out.WriteLineAsync($"Create the owner account: sudo slipway setup NAME --code {(await File.ReadAllTextAsync(setupCode, token)).Trim()}");
        }
    }
}
