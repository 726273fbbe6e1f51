using System.CommandLine;
using System.Diagnostics;
using Slipway.Api;

namespace Slipway.Cli;

/// <summary>slipway ca cert | trust: the development CA whose leaves the edge serves for localhost and *.localhost.
/// Both ask the platform for the root (public; a viewer may), like every other command, so they work on the
/// platform's machine and from a login elsewhere alike.</summary>
internal static class CaCommands
{
    public static Command Create(CliContext cli)
    {
        var ca = new Command("ca", "The development CA that signs the certificates of localhost and *.localhost: print it, trust it");
        ca.Subcommands.Add(Cert(cli));
        ca.Subcommands.Add(Trust(cli));
        return ca;
    }

    private static Command Cert(CliContext cli)
    {
        var command = new Command("cert", "Print the development CA's root certificate (PEM, public; its key never leaves the platform)") { CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ShowAsync<CaDto>(parse, "v1/ca", ca => cli.Out.Write(ca.Pem), token)));
        return command;
    }

    private static Command Trust(CliContext cli)
    {
        var yes = new Option<bool>("--yes") { Description = "Do it: add the root to this machine's system store (through sudo unless root) and to the NSS databases when certutil is installed" };
        var stage = new Option<string>("--root")
        {
            Description = "With --yes on Debian/Ubuntu: build the system store under DIR instead of / and leave NSS alone (packaging, tests)",
            Hidden = true,
        };
        var command = new Command("trust", "Print how to trust the development CA (system store, Firefox/Chrome, curl); --yes does it here") { yes, stage };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var ca = await api.GetAsync<CaDto>("v1/ca", token);
            var rootPath = RootFile(parse, api, ca);
            var detected = CaTrust.Detect(OnPath);
            if (!parse.GetValue(yes))
            {
                await cli.Out.WriteLineAsync(CaTrust.Instructions(rootPath, ca.Sha256, ca.Subject, detected));
                return 0;
            }
            var staged = parse.GetValue(stage) is { Length: > 0 } dir ? Path.GetFullPath(dir) : null;
            var store = detected ?? throw new UserException("This machine has no system trust store Slipway knows (update-ca-certificates, trust, macOS security). " +
                "Run 'slipway ca trust' and follow the step for your system, or give curl --cacert.");
            if (staged is not null && store != TrustStore.Debian)
            {
                throw new UserException("--root stages Debian's store only; on this system run 'slipway ca trust --yes' without it.");
            }
            if (staged is not null)
            {
                Directory.CreateDirectory(Path.Combine(staged, "etc", "ssl", "certs"));
                Directory.CreateDirectory(Path.Combine(staged, "etc", "ca-certificates", "update.d"));
                File.AppendAllText(Path.Combine(staged, "etc", "ca-certificates.conf"), "");
            }
            var sudo = staged is null && !Environment.IsPrivilegedProcess;
            if (sudo && !OnPath("sudo"))
            {
                throw new UserException("Adding to the system store needs root and sudo is not installed: run this as root, or follow the steps 'slipway ca trust' prints.");
            }
            foreach (var step in CaTrust.SystemCommands(store, rootPath, ca.Sha256, staged))
            {
                await RunAsync(cli, sudo ? ["sudo", .. step] : step, token);
            }
            if (staged is not null)
            {
                await cli.Out.WriteLineAsync($"Staged the system store under {staged}; NSS databases are per user and were left alone.");
            }
            else if (OnPath("certutil"))
            {
                var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
                foreach (var step in CaTrust.NssCommands(rootPath, ca.Sha256, home))
                {
                    await RunAsync(cli, step, token);
                }
            }
            else
            {
                await cli.Out.WriteLineAsync("Firefox and Chrome on Linux keep their own store (NSS): install certutil (apt-get install libnss3-tools, " +
                    "dnf install nss-tools) and run 'slipway ca trust --yes' again.");
            }
            await cli.Out.WriteLineAsync($"Trusted {ca.Subject} (SHA-256 {ca.Sha256}). Restart browsers that were open.");
            return 0;
        }));
        return command;
    }

    /// <summary>The root as a file this user can read: the platform's own on this machine, else a copy in the
    /// config directory (a login elsewhere, or a data directory only root can read).</summary>
    private static string RootFile(ParseResult parse, ApiClient api, CaDto ca)
    {
        if (!api.IsRemote)
        {
            var local = Path.Combine(CliContext.DataDir(parse), "certs", Edge.Tls.DevelopmentCertificates.DirectoryName, Edge.Tls.DevelopmentCertificates.RootFile);
            try
            {
                if (File.ReadAllText(local).Trim() == ca.Pem.Trim())
                {
                    return local;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // not readable by this user: a copy below
            }
        }
        var copy = Path.Combine(Path.GetDirectoryName(Login.FilePath)!, CaTrust.FileStem(ca.Sha256) + ".pem");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(copy, ca.Pem);
        return copy;
    }

    private static async Task RunAsync(CliContext cli, string[] argv, CancellationToken token)
    {
        await cli.Out.WriteLineAsync("$ " + CaTrust.Show(argv));
        var start = new ProcessStartInfo(argv[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in argv.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new UserException($"{argv[0]} could not be started.");
        var output = process.StandardOutput.ReadToEndAsync(token);
        var error = process.StandardError.ReadToEndAsync(token);
        await process.WaitForExitAsync(token);
        var said = ((await output) + (await error)).Trim();
        if (process.ExitCode != 0)
        {
            throw new UserException($"'{CaTrust.Show(argv)}' failed (exit {process.ExitCode}){(said.Length > 0 ? ": " + said : "")}. " +
                "Fix that and run 'slipway ca trust --yes' again, or do the steps 'slipway ca trust' prints by hand.");
        }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, tool)));
}
