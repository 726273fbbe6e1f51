using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Slipway.Api;
using Slipway.Edge;
using Slipway.Hosting;
using Slipway.Manifests;

namespace Slipway.Cli;

/// <summary>server (foreground), up (background + deploy), down, validate.</summary>
internal static class PlatformCommands
{
    public static IEnumerable<Command> Create(CliContext cli)
    {
        yield return Server(cli);
        yield return Up(cli);
        yield return Down(cli);
        yield return Validate(cli);
    }

    private static readonly Option<int> HttpPort = new("--http-port") { Description = "Port of the edge router", DefaultValueFactory = _ => 8080 };

    private static readonly Option<int?> HttpsPort = new("--https-port")
    {
        Description = "Also serve HTTPS (HTTP/2, SNI) on this port: certificates from DATA/certs/HOST/, a generated one for *.localhost",
    };

    private static Command Server(CliContext cli)
    {
        var listen = new Option<string>("--listen") { Description = "Address the edge listens on (0.0.0.0 for every interface)", DefaultValueFactory = _ => "127.0.0.1" };
        var apiPort = new Option<int?>("--api-port") { Description = "Also serve the API on this localhost TCP port (bearer token in DATA/api-token)" };
        var warm = new Option<string>("--warm-window") { Description = "How long replaced instances stay warm for instant rollback", DefaultValueFactory = _ => "10m" };
        var keep = new Option<int>("--keep-builds") { Description = "Builds kept per app for rollback", DefaultValueFactory = _ => 10 };
        var cache = new Option<string>("--cache-dir") { Description = "Dependency cache (npm installs by lockfile); default DATA/cache, may be shared between platforms" };
        var databasesDir = new Option<string>("--databases-dir") { Description = "Where the managed PostgreSQL and redis keep their data (default DATA/databases; as root /var/lib/slipway/databases-ID)" };
        var trusted = new Option<string[]>("--trusted-proxy")
        {
            Description = "An address or network (10.0.0.0/8) of a proxy in front of the edge whose X-Forwarded-* headers are believed; repeatable",
            AllowMultipleArgumentsPerToken = false,
        };
        var noAccessLog = new Option<bool>("--no-access-log") { Description = "Do not write the per-request access log (metrics are still kept)" };
        var noMetrics = new Option<bool>("--no-metrics")
        {
            Description = "Do not export /metrics (Prometheus); `slipway metrics` and its history still work",
        };
        var cliFile = new Option<string>("--cli-file") { Description = "The self-contained slipway CLI (linux-x64) that teammates and CI download from /v1/cli/linux-x64" };
        var platformHost = new Option<string>("--platform-host")
        {
            Description = "The hostname the edge serves the platform's API under, for 'slipway login https://HOST' from anywhere",
            DefaultValueFactory = _ => "slipway.localhost",
        };
        var isolation = new Option<string>("--isolation")
        {
            Description = "on: every app process runs as its environment's own user, sandboxed and limited, as far as the machine allows " +
                "(slipway doctor says what it lacks); off: as the platform's user, unlimited",
            DefaultValueFactory = _ => "on",
        };
        isolation.AcceptOnlyFromAmong("on", "off");
        var acmeDirectory = new Option<string>("--acme-directory")
        {
            Description = "ACME directory certificates for domains come from (kept, like 'slipway acme set --directory'); default Let's Encrypt",
        };
        var acmeStaging = new Option<bool>("--acme-staging") { Description = "Use Let's Encrypt's staging directory (test certificates browsers do not trust)" };
        var acmeEmail = new Option<string>("--acme-email") { Description = "Contact address for the certificate authority (kept, like 'slipway acme set --email')" };
        var acmeCaRoot = new Option<string>("--acme-ca-root")
        {
            Description = "PEM file of the root that signs your private ACME CA's own HTTPS (step-ca, Pebble); default: the system's roots",
        };
        var acmeChallenge = new Option<string>("--acme-challenge")
        {
            Description = "Answer only this ACME challenge: http-01 (the CA connects to port 80) or tls-alpn-01 (to port 443); default both, http-01 first",
        };
        acmeChallenge.AcceptOnlyFromAmong(Domains.Acme.AcmeChallenge.Http01, Domains.Acme.AcmeChallenge.TlsAlpn01);
        var command = new Command("server", "Run the platform in the foreground (for systemd); Ctrl+C or SIGTERM stops it, its apps keep running ('slipway down' stops them too)")
        {
            HttpPort, listen, apiPort, warm, keep, cache, HttpsPort, trusted, noAccessLog, noMetrics, databasesDir, platformHost, cliFile, isolation,
            acmeDirectory, acmeStaging, acmeEmail, acmeCaRoot, acmeChallenge,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            if (!Durations.TryParse(parse.GetValue(warm)!, out var warmWindow))
            {
                throw new UserException($"--warm-window '{parse.GetValue(warm)}' is not a duration like 10m or 0s.");
            }
            if (parse.GetValue(acmeStaging) && parse.GetValue(acmeDirectory) is { } both)
            {
                throw new UserException($"--acme-staging and --acme-directory {both} name two CAs: keep one (--acme-staging is {Domains.AcmeSettings.LetsEncryptStaging}).");
            }
            var manager = ServiceManager.FromEnvironment();
            var sockets = ListeningSockets.FromEnvironment();
            // Started by `slipway upgrade`: the running platform hands over its sockets (and then its data directory).
            using var successor = Successor.FromEnvironment();
            if (successor is not null)
            {
                sockets.Adopt(successor.TakeOver(CliContext.DataDir(parse)));
            }
            if (manager is not null)
            {
                sockets.Made = (name, socket) => manager.Store(name, socket);
            }
            var options = new PlatformOptions
            {
                DataDir = CliContext.DataDir(parse),
                HttpPort = parse.GetValue(HttpPort),
                HttpAddress = parse.GetValue(listen)!,
                ApiPort = parse.GetValue(apiPort),
                WarmWindow = warmWindow,
                KeepBuilds = parse.GetValue(keep),
                CacheDir = parse.GetValue(cache) is { } c ? Path.GetFullPath(c) : null,
                HttpsPort = parse.GetValue(HttpsPort),
                TrustedProxies = parse.GetValue(trusted) ?? [],
                AccessLog = !parse.GetValue(noAccessLog),
                MetricsExport = !parse.GetValue(noMetrics),
                DatabasesDir = parse.GetValue(databasesDir) is { } d ? Path.GetFullPath(d) : null,
                PlatformHost = parse.GetValue(platformHost)!.Trim().TrimEnd('.').ToLowerInvariant(),
                CliFile = parse.GetValue(cliFile) is { } f ? Path.GetFullPath(f) : null,
                Isolation = parse.GetValue(isolation) != "off",
                AcmeDirectory = parse.GetValue(acmeStaging) ? Domains.AcmeSettings.LetsEncryptStaging : parse.GetValue(acmeDirectory),
                AcmeEmail = parse.GetValue(acmeEmail),
                AcmeCaRoot = parse.GetValue(acmeCaRoot) is { } root ? Path.GetFullPath(root) : null,
                AcmeChallenge = parse.GetValue(acmeChallenge),
                HandBackStartupPages = true,
                // Sockets systemd or the launcher kept across a restart; the supervisor to tell when ready or stopping.
                Sockets = sockets,
                ServiceManager = manager,
                // Every argument, the options given before `server` too (`slipway --data D server`): the successor runs
                // exactly this command.
                ServerArguments = Environment.GetCommandLineArgs().Skip(1).ToList(),
                DataLockWait = successor is null ? TimeSpan.Zero : TimeSpan.FromSeconds(90),
            };
            await using var app = PlatformHost.Build(options);
            try
            {
                await app.StartAsync(token);
            }
            catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse }
                                        || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                throw new UserException($"A port Slipway needs is already in use ({e.Message.TrimEnd('.')}): another program, or another Slipway " +
                    $"platform, listens there. Stop it, or pick free ports with --http-port / --https-port / --api-port.");
            }
            var edge = app.Services.GetRequiredService<EdgeServer>();
            await cli.Out.WriteLineAsync($"slipway: edge on http://{options.HttpAddress}:{edge.Port}" +
                (edge.HttpsPort is { } tlsPort ? $" and https://{options.HttpAddress}:{tlsPort}" : "") + $", API on unix:{options.SocketPath}" +
                (options.ApiPort is { } p ? $" and http://localhost:{p}" : "") +
                $"; logins: {(edge.HttpsPort is { } https ? $"https://{options.PlatformHost}:{https}" : $"http://{options.PlatformHost}:{edge.Port}")}");
            sockets.CloseUnused();
            manager?.Ready();
            successor?.Ready();
            await app.WaitForShutdownAsync(token);
            var upgrade = app.Services.GetRequiredService<PlatformUpgrade>();
            if (upgrade.HandedOver)
            {
                // Its in-flight requests done and the successor serving, this process goes; if the successor died after
                // taking the sockets, the supervisor starts this version again (NotTakenOver).
                await edge.Drained.WaitAsync(TimeSpan.FromSeconds(45)).ContinueWith(_ => { }, TaskScheduler.Default);
                return await upgrade.WaitForSuccessorAsync(TimeSpan.FromSeconds(90)) ? 0 : Handover.NotTakenOver;
            }
            // `slipway down` stopped the apps: the supervisor lets the platform stay down; any other stop is restarted. The
            // launcher reads X_SLIPWAY_DOWN, systemd the exit status (the unit's RestartPreventExitStatus=).
            var down = app.Services.GetRequiredService<Deploy.Recovery>().AppsStopped;
            manager?.Stopping(down);
            return down && manager is not null ? SystemdUnit.DownExitStatus : 0;
        }));
        return command;
    }

    private static Command Up(CliContext cli)
    {
        var source = new Argument<string>("source") { Description = "The app to deploy", DefaultValueFactory = _ => "." };
        var app = AppOption.Optional("The app's name (default: the manifest's name, else the directory's name)");
        var command = new Command("up", "Start the platform in the background if it is not running, deploy an app, print its URL")
        {
            source, app, HttpPort, HttpsPort,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var dataDir = CliContext.DataDir(parse);
            using var api = cli.LocalApi(parse);
            if (!await api.IsUpAsync(token))
            {
                await StartBackgroundAsync(cli, api, dataDir, parse.GetValue(HttpPort), parse.GetValue(HttpsPort), token);
            }
            else
            {
                await WarnAboutPortsAsync(cli, api, parse, token);
            }
            var src = parse.GetValue(source)!;
            var gitSource = Builds.SourceSnapshot.IsGitUrl(src);
            var name = parse.GetValue(app) ?? DeployCommands.DefaultAppName(gitSource ? src : Path.GetFullPath(src), gitSource);
            var code = await CliApp.RunAsync(["deploy", src, "--data", dataDir, "--app", name], cli.Out, cli.Err, token);
            if (code != 0)
            {
                return code;
            }
            var deployed = await api.GetAsync<AppDto>($"v1/apps/{name}", token);
            var url = deployed.Urls.First();
            await cli.Out.WriteLineAsync();
            await cli.Out.WriteLineAsync($"  {deployed.Name} is live: {url}");
            await cli.Out.WriteLineAsync($"  (from a shell without *.localhost resolution: curl -H 'Host: {new Uri(url).Host}' http://127.0.0.1:{new Uri(url).Port}/)");
            var slipway = CliContext.Command(parse);
            await cli.Out.WriteLineAsync($"  logs: {slipway} logs --app {deployed.Name} -f    stop the platform: {slipway} down");
            await cli.Out.WriteLineAsync($"  dashboard: {new Uri(url).Scheme}://slipway.localhost:{new Uri(url).Port}/ (log in with a user of the platform)");
            if (File.Exists(Path.Combine(dataDir, "setup-code")))
            {
                // The platform has no user yet: the one-time code that makes the first owner (never a default password).
                await cli.Out.WriteLineAsync($"  team: create the owner account with {slipway} setup NAME --code {File.ReadAllText(Path.Combine(dataDir, "setup-code")).Trim()}");
            }
            return 0;
        }));
        return command;
    }

    /// <summary>`up` on a running platform cannot change its ports: say so when other ones were asked for.</summary>
    private static async Task WarnAboutPortsAsync(CliContext cli, ApiClient api, ParseResult parse, CancellationToken token)
    {
        var running = await api.GetAsync<PingDto>("v1/ping", token);
        var problems = new List<string>();
        if (parse.GetResult(HttpPort) is { Implicit: false } && parse.GetValue(HttpPort) != running.HttpPort)
        {
            problems.Add($"its edge is on port {running.HttpPort}, not --http-port {parse.GetValue(HttpPort)}");
        }
        if (parse.GetValue(HttpsPort) is { } https && https != running.HttpsPort)
        {
            problems.Add(running.HttpsPort is { } port ? $"it serves HTTPS on port {port}, not --https-port {https}" : $"it serves no HTTPS (--https-port {https} was asked)");
        }
        if (problems.Count > 0)
        {
            await cli.Err.WriteLineAsync($"warning: the platform is already running and {string.Join("; ", problems)}. " +
                $"To change its ports: {CliContext.Command(parse)} down, then up again with them.");
        }
    }

    private static async Task StartBackgroundAsync(CliContext cli, ApiClient api, string dataDir, int httpPort, int? httpsPort, CancellationToken token)
    {
        Directory.CreateDirectory(dataDir);
        var logPath = Path.Combine(dataDir, "server.log");
        await cli.Out.WriteLineAsync($"Starting the Slipway platform in the background (data: {dataDir}, log: {logPath})");
        var self = Environment.ProcessPath!;
        var psi = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = true };
        // Detached: own session, output to the log file, so closing this terminal does not stop it.
        psi.ArgumentList.Add("/bin/sh");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$@\" >>\"$SLIPWAY_LOG\" 2>&1 </dev/null");
        psi.ArgumentList.Add("slipway");
        // The launcher runs the platform and starts it again if it dies (keeping its sockets); then the platform itself.
        var program = Path.GetFileNameWithoutExtension(self) == "dotnet"
            // Run as `dotnet slipway.dll` (never a single-file build, whose process is slipway itself).
            ? new[] { self, Path.Combine(AppContext.BaseDirectory, "slipway.dll") }
            : [self];
        foreach (var arg in program.Concat(["launcher", "--data", dataDir, "--"]).Concat(program))
        {
            psi.ArgumentList.Add(arg);
        }
        foreach (var arg in new[] { "server", "--data", dataDir, "--http-port", httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(arg);
        }
        if (httpsPort is { } tls)
        {
            psi.ArgumentList.Add("--https-port");
            psi.ArgumentList.Add(tls.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        psi.Environment["SLIPWAY_LOG"] = logPath;
        using var process = Process.Start(psi)!;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await api.IsUpAsync(token))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                var tail = File.Exists(logPath) ? string.Join('\n', File.ReadLines(logPath).TakeLast(15)) : "";
                throw new UserException($"The platform did not start. Last lines of {logPath}:\n{tail}");
            }
            await Task.Delay(200, token);
        }
    }

    private static Command Down(CliContext cli)
    {
        var command = new Command("down", "Stop a background platform started by 'up' (its apps stop with it and come back on the next start)");
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var dataDir = CliContext.DataDir(parse);
            using var api = cli.LocalApi(parse);
            if (!await api.IsUpAsync(token))
            {
                await cli.Out.WriteLineAsync($"No platform is running on {dataDir}.");
                return 0;
            }
            if (await InstallCommands.DownAsync(cli, dataDir, token))
            {
                return 0;
            }
            var pidFile = Path.Combine(dataDir, "slipway.pid");
            var pid = File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : 0;
            await api.PostAsync<JsonElement?>("v1/shutdown", null, token).ContinueWith(_ => { }, TaskScheduler.Default);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            var launcherFile = Launcher.PidPath(dataDir);
            var launcher = File.Exists(launcherFile) && int.TryParse(File.ReadAllText(launcherFile).Trim(), System.Globalization.CultureInfo.InvariantCulture, out var l) ? l : 0;
            while (((pid > 0 && IsRunning(pid)) || (launcher > 0 && IsRunning(launcher))) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, token);
            }
            await cli.Out.WriteLineAsync($"Slipway stopped (data: {dataDir}).");
            return 0;
        }));
        return command;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static Command Validate(CliContext cli)
    {
        var source = new Argument<string>("source") { Description = "The app's source directory", DefaultValueFactory = _ => "." };
        var command = new Command("validate", "Check an app's slipway.json (or what would be detected) without deploying") { source, CliContext.JsonOutput };
        command.SetAction((parse, _) => cli.RunAsync(() =>
        {
            var dir = Path.GetFullPath(parse.GetValue(source)!);
            switch (ManifestLoader.Load(dir))
            {
                case ManifestResult.Ok ok:
                    cli.Print(parse, ok.Spec, spec =>
                    {
                        cli.Out.WriteLine($"{spec.Origin}: valid");
                        foreach (var s in spec.Services)
                        {
                            cli.Out.WriteLine($"  {s.Name} ({s.Type.ToString().ToLowerInvariant()}) root={s.Root} path={s.Path} start={s.Start ?? "-"} build={s.Build ?? "-"}");
                        }
                        foreach (var w in ok.Warnings)
                        {
                            cli.Out.WriteLine("  warning: " + w);
                        }
                    });
                    return Task.FromResult(0);
                case ManifestResult.Invalid invalid:
                    throw invalid.ToException();
                default:
                    throw new InvalidOperationException();
            }
        }));
        return command;
    }
}
