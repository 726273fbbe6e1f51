using System.Diagnostics;
using Slipway.Cli;
using Slipway.Tests.Support;

namespace Slipway.Tests.Cli;

/// <summary>`slipway install` and `uninstall` against a temporary root (these machines do not run systemd): the
/// tree they write, the installed program run through its launcher, the unit checked by systemd-analyze, upgrades,
/// and refusals. The program installed is this test run's own build of slipway.</summary>
public sealed class InstallTests : IDisposable
{
    private readonly string _root = TempDirs.Create("install");

    public void Dispose() => TempDirs.Delete(_root);

    private string OnDisk(string path) => Path.Join(_root, path);

    private static async Task<(int Code, string Out, string Err)> CliAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliApp.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static async Task<(int Code, string Out, string Err)> RunAsync(string file, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment.Remove("SLIPWAY_DATA");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    private async Task InstallAsync(params string[] args)
    {
        var (code, output, error) = await CliAsync(["install", "--root", _root, .. args]);
        code.Should().Be(0, error);
        output.Should().Contain($"Staged under {_root} (--root): no service was started.");
    }

    /// <summary>systemd-analyze verify on the staged tree: the unit's syntax, every key known to this systemd, and the
    /// ExecStart program present and executable under the root. It needs the system's targets there too.</summary>
    private async Task<(int Code, string Output)> VerifyAsync()
    {
        var targets = Directory.Exists("/usr/lib/systemd/system") ? "/usr/lib/systemd/system" : "/lib/systemd/system";
        Directory.CreateDirectory(OnDisk("/usr/lib/systemd/system"));
        foreach (var target in Directory.EnumerateFiles(targets, "*.target"))
        {
            File.Copy(target, OnDisk("/usr/lib/systemd/system/" + Path.GetFileName(target)), overwrite: true);
        }
        File.Exists("/usr/bin/systemd-analyze").Should().BeTrue("the unit is checked with systemd-analyze (apt-get install systemd)");
        var (code, output, error) = await RunAsync("/usr/bin/systemd-analyze", ["verify", "--root=" + _root, "slipway.service"]);
        return (code, output + error);
    }

    [Fact]
    public async Task Install_writes_a_unit_systemd_accepts_and_a_program_that_runs_through_its_launcher()
    {
        await InstallAsync("--email", "ops@example.com");

        var unit = await File.ReadAllTextAsync(OnDisk(ProductionInstall.UnitPath));
        SystemdUnit.Owner(unit).Should().Be(UnitOwner.Ours);
        var install = new ProductionInstall(_root);
        install.Versions().Should().Equal(install.CurrentVersion());
        File.Exists(OnDisk(ProductionInstall.CurrentProgram)).Should().BeTrue("current points at the version just installed");
        File.Exists(OnDisk($"{ProductionInstall.VersionsDir}/{install.CurrentVersion()}/slipway.dll")).Should().BeTrue();
        unit.Should().Contain("ExecStart=/usr/local/bin/slipway server --data /var/lib/slipway/data --databases-dir /var/lib/slipway/databases --listen ")
            .And.Contain("--http-port 80 --https-port 443 --acme-email ops@example.com\n");
        var (verified, complaints) = await VerifyAsync();
        verified.Should().Be(0, complaints);
        complaints.Should().BeEmpty("systemd-analyze warns about unknown keys and bad values without failing");

        var (code, version, error) = await RunAsync(OnDisk(ProductionInstall.LauncherPath), ["--version"]);
        code.Should().Be(0, error);
        version.Trim().Should().Be(typeof(CliApp).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion);

        // As root the launcher points commands at the installed platform's data; SLIPWAY_DATA still wins.
        (await RunAsync(OnDisk(ProductionInstall.LauncherPath), ["down"])).Out.Should().Contain("No platform is running on /var/lib/slipway/data.");
        (await RunAsync(OnDisk(ProductionInstall.LauncherPath), ["down"], new Dictionary<string, string> { ["SLIPWAY_DATA"] = _root + "/elsewhere" }))
            .Out.Should().Contain($"No platform is running on {_root}/elsewhere.");

        File.GetUnixFileMode(OnDisk(InstallSpec.DefaultDataDir)).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.GetUnixFileMode(OnDisk(ProductionInstall.StateRoot)).Should().HaveFlag(UnixFileMode.OtherExecute, "the databases' own user reaches its directory through it");
    }

    [Fact]
    public async Task The_unit_check_fails_when_the_program_it_starts_is_missing()
    {
        await InstallAsync();
        File.Delete(OnDisk(ProductionInstall.LauncherPath));

        var (code, output) = await VerifyAsync();

        code.Should().NotBe(0);
        output.Should().Contain("/usr/local/bin/slipway");
    }

    [Fact]
    public async Task Installing_the_same_program_again_keeps_its_files_and_keeps_the_settings()
    {
        await InstallAsync("--http-port", "8081", "--email", "ops@example.com");
        var install = new ProductionInstall(_root);
        var version = install.CurrentVersion()!;
        var dll = OnDisk($"{ProductionInstall.VersionsDir}/{version}/slipway.dll");
        var inode = await InodeAsync(dll);

        var (code, output, error) = await CliAsync("install", "--root", _root, "--https-port", "8443");

        code.Should().Be(0, error);
        output.Should().StartWith("Upgraded Slipway").And.Contain($"{ProductionInstall.VersionsDir}/{version}");
        // The same version may be the running one: its files are never written again.
        (await InodeAsync(dll)).Should().Be(inode);
        install.Versions().Should().Equal(version);
        Directory.GetFileSystemEntries(OnDisk(ProductionInstall.ProgramDir)).Select(Path.GetFileName).Should().BeEquivalentTo(["versions", "current", ".slipway-install"]);
        SystemdUnit.Read(await File.ReadAllTextAsync(OnDisk(ProductionInstall.UnitPath))).Should()
            .Be(new InstallSpec { HttpPort = 8081, HttpsPort = 8443, AcmeEmail = "ops@example.com", Listen = System.Net.Sockets.Socket.OSSupportsIPv6 ? "::" : "0.0.0.0" });
        (await RunAsync(OnDisk(ProductionInstall.LauncherPath), ["--version"])).Code.Should().Be(0);
    }

    /// <summary>A stand-in for a self-contained build: a script that says which one it is.</summary>
    private static async Task<ProductionInstall.ProgramSource> FakeBuildAsync(string downloads, string name)
    {
        var executable = Path.Combine(downloads, name);
        await File.WriteAllTextAsync(executable, $"#!/bin/sh\necho {name}\n");
        File.SetUnixFileMode(executable, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new ProductionInstall.ProgramSource(downloads, executable);
    }

    [Fact]
    public async Task Each_program_gets_a_version_beside_the_others_and_the_newest_three_are_kept_with_any_in_use()
    {
        var downloads = TempDirs.Create("install-builds");
        Process? running = null;
        try
        {
            var install = new ProductionInstall(_root);
            var installed = new List<string>();
            foreach (var build in new[] { "build-1", "build-2" })
            {
                installed.Add(install.Install(new InstallSpec(), await FakeBuildAsync(downloads, build), dotnetRoot: null));
            }
            // A process runs from the oldest version (as a platform does until an upgrade replaces it): a copy of sleep.
            var inUse = OnDisk($"{ProductionInstall.VersionsDir}/{installed[0]}/sleep");
            File.Copy("/usr/bin/sleep", inUse);
            running = Process.Start(inUse, "60");
            foreach (var build in new[] { "build-3", "build-4", "build-5" })
            {
                installed.Add(install.Install(new InstallSpec(), await FakeBuildAsync(downloads, build), dotnetRoot: null));
            }

            installed.Should().OnlyHaveUniqueItems();
            install.CurrentVersion().Should().Be(installed[4]);
            (await RunAsync(OnDisk(ProductionInstall.LauncherPath), [])).Out.Should().Be("build-5\n", "the launcher runs current");
            install.Versions().Should().Equal([installed[4], installed[3], installed[2], installed[0]],
                "the newest three are kept, and the oldest because a process runs from it; build-2 is gone");
            File.Exists(inUse).Should().BeTrue();

            running.Kill();
            await running.WaitForExitAsync();
            install.Prune(ProductionInstall.RunningExecutables()).Should().Equal(installed[0]);
            install.Versions().Should().Equal(installed[4], installed[3], installed[2]);

            // Installing an older build again makes it current and the newest, without copying it anew.
            installed.Add(install.Install(new InstallSpec(), await FakeBuildAsync(downloads, "build-3"), dotnetRoot: null));
            installed[5].Should().Be(installed[2]);
            install.Versions().Should().Equal(installed[2], installed[4], installed[3]);
            (await RunAsync(OnDisk(ProductionInstall.LauncherPath), [])).Out.Should().Be("build-3\n");

            // A failed upgrade goes back: current names the version that serves again, so a restart starts that one.
            install.PointCurrentAt(installed[4]);
            install.CurrentVersion().Should().Be(installed[4]);
            (await RunAsync(OnDisk(ProductionInstall.LauncherPath), [])).Out.Should().Be("build-5\n");
        }
        finally
        {
            if (running is { HasExited: false })
            {
                running.Kill();
            }
            running?.Dispose();
            TempDirs.Delete(downloads);
        }
    }

    [Fact]
    public async Task An_install_from_before_versions_is_taken_over_and_its_files_deleted_once_nothing_runs_from_them()
    {
        // The layout an older install left: the program directly in the program directory.
        var program = OnDisk(ProductionInstall.ProgramDir);
        Directory.CreateDirectory(program);
        await File.WriteAllTextAsync(Path.Combine(program, ".slipway-install"), "Written by 'slipway install' from /old at then.\n");
        await File.WriteAllTextAsync(Path.Combine(program, "slipway.dll"), "the old program");
        File.Copy("/usr/bin/sleep", Path.Combine(program, "slipway"));
        using var old = Process.Start(Path.Combine(program, "slipway"), "60");
        try
        {
            await InstallAsync();

            // Still running from there: kept.
            File.Exists(Path.Combine(program, "slipway.dll")).Should().BeTrue();
            File.Exists(OnDisk(ProductionInstall.CurrentProgram)).Should().BeTrue();
        }
        finally
        {
            old.Kill();
            await old.WaitForExitAsync();
        }

        await InstallAsync();

        Directory.GetFileSystemEntries(program).Select(Path.GetFileName).Should().BeEquivalentTo(["versions", "current", ".slipway-install"]);
        (await RunAsync(OnDisk(ProductionInstall.LauncherPath), ["--version"])).Code.Should().Be(0);
    }

    [Fact]
    public async Task A_single_file_build_is_installed_alone_not_the_directory_it_was_downloaded_to()
    {
        var downloads = TempDirs.Create("install-downloads");
        try
        {
            // Stands in for the self-contained executable: the launcher runs whatever was installed as the program.
            var executable = Path.Combine(downloads, "slipway-linux-x64");
            await File.WriteAllTextAsync(executable, "#!/bin/sh\necho \"single file, data $SLIPWAY_DATA, args: $*\"\n");
            File.SetUnixFileMode(executable, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            await File.WriteAllTextAsync(Path.Combine(downloads, "holiday.jpg"), "not part of the program");

            new ProductionInstall(_root).Install(new InstallSpec(), new ProductionInstall.ProgramSource(downloads, executable), dotnetRoot: null);

            var version = new ProductionInstall(_root).CurrentVersion();
            Directory.GetFileSystemEntries(OnDisk($"{ProductionInstall.VersionsDir}/{version}")).Select(Path.GetFileName).Should().BeEquivalentTo(["slipway", ".slipway-install"]);
            (await File.ReadAllTextAsync(OnDisk(ProductionInstall.LauncherPath))).Should().NotContain("DOTNET_ROOT", "a self-contained program needs no runtime");
            var (code, output, error) = await RunAsync(OnDisk(ProductionInstall.LauncherPath), ["domains", "add", "shop example.com"]);
            code.Should().Be(0, error);
            output.Should().Be("single file, data /var/lib/slipway/data, args: domains add shop example.com\n");
        }
        finally
        {
            TempDirs.Delete(downloads);
        }
    }

    [Fact]
    public async Task Uninstall_removes_all_but_the_data_and_purge_removes_the_data_too()
    {
        await InstallAsync();
        var data = OnDisk(InstallSpec.DefaultDataDir);
        await File.WriteAllTextAsync(Path.Combine(data, "slipway.db"), "the platform's state");
        Directory.CreateDirectory(OnDisk(ProductionInstall.DatabasesDir));

        var (code, output, error) = await CliAsync("uninstall", "--root", _root);

        code.Should().Be(0, error);
        File.Exists(OnDisk(ProductionInstall.UnitPath)).Should().BeFalse();
        File.Exists(OnDisk(ProductionInstall.LauncherPath)).Should().BeFalse();
        Directory.Exists(OnDisk(ProductionInstall.ProgramDir)).Should().BeFalse();
        File.ReadAllText(Path.Combine(data, "slipway.db")).Should().Be("the platform's state");
        output.Should().Contain($"The data stays in {data}").And.Contain("'slipway uninstall --purge' deletes it");

        (code, output, error) = await CliAsync("uninstall", "--root", _root, "--purge");

        code.Should().Be(0, error);
        Directory.Exists(OnDisk(ProductionInstall.StateRoot)).Should().BeFalse();
        output.Should().Contain($"Deleted the data: {data}");
    }

    [Fact]
    public async Task Files_install_did_not_write_are_replaced_only_with_force_and_never_removed()
    {
        Directory.CreateDirectory(OnDisk("/etc/systemd/system"));
        await File.WriteAllTextAsync(OnDisk(ProductionInstall.UnitPath), "[Service]\nExecStart=/opt/other/slipway server\n");

        var (code, _, error) = await CliAsync("install", "--root", _root);

        code.Should().Be(1);
        error.Should().Contain("Not replacing what slipway install did not write: /etc/systemd/system/slipway.service (not written by slipway install)")
            .And.Contain("--force");
        Directory.Exists(OnDisk(ProductionInstall.ProgramDir)).Should().BeFalse("nothing is written when it refuses");

        await InstallAsync("--force");
        SystemdUnit.Owner(await File.ReadAllTextAsync(OnDisk(ProductionInstall.UnitPath))).Should().Be(UnitOwner.Ours);

        // A launcher of someone else's (a link to their own build) is left alone by an uninstall.
        File.Delete(OnDisk(ProductionInstall.LauncherPath));
        File.CreateSymbolicLink(OnDisk(ProductionInstall.LauncherPath), "/opt/other/slipway");
        (code, var output, error) = await CliAsync("uninstall", "--root", _root);
        code.Should().Be(0, error);
        output.Should().Contain("Left in place: /usr/local/bin/slipway (not written by slipway install).");
        new FileInfo(OnDisk(ProductionInstall.LauncherPath)).LinkTarget.Should().Be("/opt/other/slipway");
    }

    [Fact]
    public async Task A_user_who_is_not_root_is_refused_and_may_still_print_the_unit()
    {
        await InstallAsync();
        var nobody = new[] { "--reuid", "65534", "--regid", "65534", "--clear-groups", "--", OnDisk(ProductionInstall.LauncherPath) };
        var home = new Dictionary<string, string> { ["HOME"] = _root };

        var (code, output, error) = await RunAsync("setpriv", [.. nobody, "install"], home);

        code.Should().Be(1, output);
        error.Should().Contain("slipway install must run as root").And.Contain("sudo ./slipway install");
        (code, output, error) = await RunAsync("setpriv", [.. nobody, "uninstall"], home);
        code.Should().Be(1, output);
        error.Should().Contain("slipway uninstall must run as root");
        File.Exists(OnDisk(ProductionInstall.UnitPath)).Should().BeTrue();

        (code, output, error) = await RunAsync("setpriv", [.. nobody, "install", "--dry-run"], home);
        code.Should().Be(0, error);
        output.Should().StartWith(SystemdUnit.Marker).And.Contain("# --dry-run: nothing was written.");
    }

    private static async Task<long> InodeAsync(string path)
    {
        var (code, output, _) = await RunAsync("stat", ["-c", "%i", path]);
        code.Should().Be(0);
        return long.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
