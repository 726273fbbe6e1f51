using System.Diagnostics;
using Slipway.Tests.Support;

namespace Slipway.Tests.Cli;

/// <summary>The ./slipway wrapper's builds kept side by side, run from a copy of the wrapper with a stand-in `dotnet`
/// on PATH: its "publish" copies /usr/bin/sleep as the executable (a real binary, so a process running it names its
/// version's file in /proc/PID/exe), in milliseconds instead of the real publish's minutes.</summary>
public sealed class WrapperTests : IDisposable
{
    private const string FakeDotnet = """
        #!/bin/sh
        while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done
        if [ -e "$FAKE_DOTNET_FAIL" ]; then echo "Program.cs(1,1): error CS1002: ; expected"; exit 1; fi
        echo "  Determining projects to restore..."
        echo "  Slipway -> /somewhere/Slipway.dll"
        cp /usr/bin/sleep "$out/slipway"
        """;

    private readonly string _root = TempDirs.Create("wrapper");
    private readonly List<Process> _running = [];

    public WrapperTests()
    {
        var wrapper = Path.Combine(_root, "slipway");
        File.Copy(Path.Combine(TestApps.RepoRoot, "slipway"), wrapper);
        File.SetUnixFileMode(wrapper, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(Path.Combine(_root, "src"));
        File.WriteAllText(Source, "class A;");
        Directory.CreateDirectory(Path.Combine(_root, "fake"));
        File.WriteAllText(Path.Combine(_root, "fake", "dotnet"), FakeDotnet + "\n");
        File.SetUnixFileMode(Path.Combine(_root, "fake", "dotnet"), (UnixFileMode)0b111_101_101);
    }

    public void Dispose()
    {
        foreach (var process in _running)
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }
            process.Dispose();
        }
        TempDirs.Delete(_root);
    }

    private string Source => Path.Combine(_root, "src", "A.cs");

    private string Versions => Path.Combine(_root, ".slipway", "versions");

    private string[] VersionIds() => Directory.GetDirectories(Versions).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    private string Current() => Directory.ResolveLinkTarget(Path.Combine(_root, ".slipway", "current"), returnFinalTarget: false)!.FullName;

    /// <summary>A source saved after the newest build (its stamp moved a minute back, so no clock tick can tie them).</summary>
    private void EditSource()
    {
        File.SetLastWriteTimeUtc(Path.Combine(Current(), ".built"), DateTime.UtcNow.AddMinutes(-1));
        File.WriteAllText(Source, $"class A; // {Guid.NewGuid()}");
    }

    private ProcessStartInfo Wrapper(params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(_root, "slipway"), args)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.Environment["PATH"] = $"{Path.Combine(_root, "fake")}:{Environment.GetEnvironmentVariable("PATH")}";
        psi.Environment["FAKE_DOTNET_FAIL"] = Path.Combine(_root, "fail");
        return psi;
    }

    private async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var process = Process.Start(Wrapper(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        return (process.ExitCode, await stdout, await stderr);
    }

    private async Task<string> BuildAsync()
    {
        var (code, output, error) = await RunAsync("--print-binary");
        code.Should().Be(0, error);
        error.Should().Contain("slipway: building");
        return output.TrimEnd('\n');
    }

    /// <summary>Starts `sleep 60` from <paramref name="file"/> and waits until the process runs it: /proc/PID/exe
    /// then names that file.</summary>
    private async Task<int> RunningAsync(ProcessStartInfo psi, string file)
    {
        var process = Process.Start(psi)!;
        _running.Add(process);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (new FileInfo($"/proc/{process.Id}/exe").LinkTarget != file)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, $"pid {process.Id} runs {file}");
            await Task.Delay(20);
        }
        return process.Id;
    }

    private async Task StopAsync(int pid)
    {
        var process = _running.Single(p => p.Id == pid);
        process.Kill();
        await process.WaitForExitAsync();
    }

    [Fact]
    public async Task Each_build_gets_a_version_of_its_own_and_the_wrapper_runs_the_newest_by_its_versioned_path()
    {
        var first = await BuildAsync();
        EditSource();
        var second = await BuildAsync();

        VersionIds().Should().HaveCount(2);
        first.Should().StartWith(Versions + "/").And.EndWith("/slipway");
        second.Should().NotBe(first).And.Be(Path.Combine(Current(), "slipway"));
        File.Exists(first).Should().BeTrue("the older build stays beside the newer one");
        string.CompareOrdinal(Path.GetFileName(Path.GetDirectoryName(first)), Path.GetFileName(Path.GetDirectoryName(second)))
            .Should().BeNegative("version names sort by age");
        await RunningAsync(Wrapper("60"), second);

        var (code, output, error) = await RunAsync("--print-binary");
        code.Should().Be(0);
        output.Should().Be(second + "\n");
        error.Should().BeEmpty("nothing changed, so nothing is built and nothing new is printed");
        VersionIds().Should().HaveCount(2);
    }

    [Fact]
    public async Task The_newest_three_versions_are_kept_and_any_older_one_a_process_runs_from()
    {
        var oldest = await BuildAsync();
        var pid = await RunningAsync(Wrapper("60"), oldest);
        var built = new List<string> { oldest };
        for (var i = 0; i < 4; i++)
        {
            EditSource();
            built.Add(await BuildAsync());
        }

        VersionIds().Should().Equal(new[] { built[0], built[2], built[3], built[4] }.Select(p => Path.GetFileName(Path.GetDirectoryName(p))));
        File.Exists(oldest).Should().BeTrue();

        await StopAsync(pid);
        EditSource();
        built.Add(await BuildAsync());

        VersionIds().Should().Equal(built[3..].Select(p => Path.GetFileName(Path.GetDirectoryName(p))));
    }

    [Fact]
    public async Task The_single_directory_of_the_former_wrapper_goes_once_nothing_runs_from_it()
    {
        var former = Path.Combine(_root, ".slipway", "bin", "slipway");
        Directory.CreateDirectory(Path.GetDirectoryName(former)!);
        File.Copy("/usr/bin/sleep", former);
        var pid = await RunningAsync(new ProcessStartInfo(former, ["60"]), former);

        await BuildAsync();
        File.Exists(former).Should().BeTrue("a platform still runs from it");

        await StopAsync(pid);
        EditSource();
        await BuildAsync();
        Directory.Exists(Path.GetDirectoryName(former)).Should().BeFalse();
    }

    [Fact]
    public async Task A_failed_build_leaves_the_current_version_in_place_and_nothing_half_built()
    {
        var good = await BuildAsync();
        EditSource();
        File.WriteAllText(Path.Combine(_root, "fail"), "");

        var (code, _, error) = await RunAsync("--print-binary");

        code.Should().Be(1);
        error.Should().Contain("error CS1002").And.Contain("slipway: build failed");
        Path.Combine(Current(), "slipway").Should().Be(good);
        Directory.GetFileSystemEntries(Versions).Should().ContainSingle("no half-built directory is left");
    }
}
