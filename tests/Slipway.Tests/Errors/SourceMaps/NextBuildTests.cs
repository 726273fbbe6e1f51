using System.Diagnostics;
using Slipway.Errors;
using Slipway.Errors.SourceMaps;
using Slipway.Manifests;
using Slipway.Tests.Support;

namespace Slipway.Tests.Errors.SourceMaps;

/// <summary>A real Next.js build (Next 16, Turbopack, from npm) through errors.sourceMaps: the app's own config is kept
/// (output: 'standalone'), browser maps are asked for, every map leaves the served output with the comments naming it,
/// and a position in the minified chunk that throws finds the original file, although Turbopack names its maps
/// otherwise than their chunks and writes index maps.</summary>
[Collection("platform-2")]
public sealed class NextBuildTests
{
    private static readonly string AppSource = Path.Combine(TestApps.RepoRoot, "tests", "Slipway.Tests", "Errors", "NextApp");

    [Fact]
    public async Task A_Next_build_keeps_its_config_serves_no_map_and_its_throwing_chunk_maps_to_the_original_file()
    {
        var build = TempDirs.Create("next-build");
        foreach (var file in Directory.GetFiles(AppSource, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(AppSource, file);
            if (relative.StartsWith("node_modules", StringComparison.Ordinal) || relative.StartsWith(".next", StringComparison.Ordinal))
            {
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(build, relative))!);
            File.Copy(file, Path.Combine(build, relative));
        }
        var data = TempDirs.Create("next-maps");
        var hidden = new HiddenSourceMaps(new SourceMapStore(new ErrorsOptions(data)));
        var spec = new AppSpec
        {
            Services = [new ServiceSpec { Name = "web", Root = ".", Build = "npm run build", Start = "node .next/standalone/server.js" }],
            Errors = new ErrorsSpec { SourceMaps = true },
        };
        var lines = new List<string>();

        hidden.Prepare(AppRef.Of("shop"), spec, build, lines.Add);
        lines.Should().ContainSingle().Which.Should().Contain("Next.js builds browser source maps");
        await RunAsync(build, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error");
        await RunAsync(build, "npx", "next", "build");
        hidden.Collect(AppRef.Of("shop"), "r1", spec, build, lines.Add);

        File.Exists(Path.Combine(build, ".next", "standalone", "server.js")).Should().BeTrue("the app's own output: 'standalone' was kept");
        Directory.GetFiles(Path.Combine(build, ".next"), "*.map", SearchOption.AllDirectories).Should().BeEmpty("no map is left to serve");
        lines.Should().Contain(l => l.StartsWith("errors: kept ", StringComparison.Ordinal));
        var chunks = Directory.GetFiles(Path.Combine(build, ".next", "static"), "*.js", SearchOption.AllDirectories);
        chunks.Where(c => File.ReadAllText(c).Contains("sourceMappingURL=", StringComparison.Ordinal)).Should().BeEmpty("nothing asks for a map");

        // Where the minified chunk throws, as a browser's stack would say it (1-based line and column).
        var thrower = chunks.Single(c => File.ReadAllText(c).Contains("Slipway sourcemap test", StringComparison.Ordinal));
        var text = File.ReadAllText(thrower);
        var at = text.IndexOf("throw", text.IndexOf("Slipway sourcemap test", StringComparison.Ordinal) - 40, StringComparison.Ordinal);
        var line = text[..at].Count(c => c == '\n') + 1;
        var column = at - (text.LastIndexOf('\n', Math.Max(0, at - 1)) + 1) + 1;
        var url = "http://shop.localhost/_next/static/" + Path.GetRelativePath(Path.Combine(build, ".next", "static"), thrower);

        var found = new SourceMapStore(new ErrorsOptions(data)).For("shop", "r1").Find(url, line, column);

        found.Should().NotBeNull($"{url}:{line}:{column} is covered by the map its chunk named");
        (Symbolicator.Clean(found!.Source), found.Line).Should().Be(("app/boom.js", 3));
        found.ContextLine!.Trim().Should().StartWith("throw new Error('Slipway sourcemap test: '");
    }

    private static async Task RunAsync(string dir, string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment["NEXT_TELEMETRY_DISABLED"] = "1";
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        process.ExitCode.Should().Be(0, $"{program} {string.Join(' ', args)}:\n{await output}\n{await errors}");
    }
}
