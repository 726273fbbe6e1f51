using System.Text;
using System.Text.Json;
using Slipway.Manifests;

namespace Slipway.Errors.SourceMaps;

/// <summary>With <c>"errors": {"sourceMaps": true}</c>, a build is asked for hidden source maps and they are taken out
/// of what it serves, kept with the release for `errors show`: no upload step, since the platform built the bundle.
///
///   Prepare: a service that builds with Vite or Next.js gets its config wrapped (a vite.config.mjs /
///            next.config.mjs or .ts that imports the app's own and adds build.sourcemap "hidden" /
///            productionBrowserSourceMaps) in the build's copy of the source; the pristine copy is untouched.
///   Collect: every *.map the build wrote (a regular file; node_modules aside) moves to DATA/source-maps/APP/RELEASE,
///            and its generated file beside it loses its sourceMappingURL comment: nothing asks for a map and no map
///            is left to serve. Neither step ever fails the deploy: a map that cannot be taken is logged.</summary>
internal sealed class HiddenSourceMaps(SourceMapStore maps) : Deploy.IBuildOutputs
{
    /// <summary>The name the app's own config file takes while the wrapper stands in for it.</summary>
    public const string UserConfigStem = "slipway-user.config";

    public void Prepare(AppRef target, AppSpec spec, string buildDir, Action<string> log)
    {
        if (!spec.Errors.SourceMaps)
        {
            return;
        }
        foreach (var service in spec.Services.Where(s => s.Build is not null).DistinctBy(s => s.Root))
        {
            var dir = Path.GetFullPath(Path.Combine(buildDir, service.Root));
            try
            {
                var dependencies = Dependencies(Path.Combine(dir, "package.json"));
                if (dependencies.Contains("next"))
                {
                    log(WrapNext(dir)
                        ? $"errors: {service.Name}: Next.js builds browser source maps (errors.sourceMaps); they are kept, not served"
                        : $"errors: {service.Name}: its Next.js config is not one Slipway can wrap (next.config.js, .mjs or .ts); set " +
                          "productionBrowserSourceMaps: true in it for errors.sourceMaps");
                }
                else if (dependencies.Contains("vite"))
                {
                    WrapVite(dir);
                    log($"errors: {service.Name}: Vite builds hidden source maps (errors.sourceMaps); they are kept, not served");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Source maps are a help, never a reason for a deploy to fail.
                log($"errors: {service.Name}: could not ask the build for source maps ({e.Message}); it builds without them");
            }
        }
    }

    /// <summary>Vite reads vite.config.js, .mjs, .ts, .cjs, .mts, .cts, the first it finds: a vite.config.mjs wrapper
    /// comes before all but .js. The app's own .js or .mjs is renamed (the wrapper takes its place); any other stays
    /// where it is, so a tsconfig that includes vite.config.ts still finds it. Vite bundles the config with what it
    /// imports, TypeScript included.</summary>
    private static void WrapVite(string dir)
    {
        var existing = ((string[])["vite.config.js", "vite.config.mjs", "vite.config.ts", "vite.config.cjs", "vite.config.mts", "vite.config.cts"])
            .FirstOrDefault(c => File.Exists(Path.Combine(dir, c)));
        var import = existing;
        if (existing is "vite.config.js" or "vite.config.mjs")
        {
            import = $"vite.{UserConfigStem}{Path.GetExtension(existing)}";
            File.Move(Path.Combine(dir, existing), Path.Combine(dir, import));
        }
        Write(Path.Combine(dir, "vite.config.mjs"), Wrapper("vite", import is null ? null : "./" + import, "(env)", "env",
            "build: { ...(resolved?.build ?? {}), sourcemap: 'hidden' }", typeScript: false));
    }

    /// <summary>Next.js reads next.config.js, .mjs, .ts: the app's own is renamed and a wrapper of the same kind takes
    /// its place (a .ts one for a .ts config, which Next compiles with what it imports). False for a config it does
    /// not know (next.config.mts, ...): that one is left alone.</summary>
    private static bool WrapNext(string dir)
    {
        var known = ((string[])["next.config.js", "next.config.mjs", "next.config.ts"]).FirstOrDefault(c => File.Exists(Path.Combine(dir, c)));
        if (known is null && Directory.EnumerateFiles(dir, "next.config.*").Any())
        {
            return false;
        }
        string? import = null;
        var typeScript = known == "next.config.ts";
        if (known is not null)
        {
            var renamed = $"next.{UserConfigStem}{Path.GetExtension(known)}";
            File.Move(Path.Combine(dir, known), Path.Combine(dir, renamed));
            import = "./" + (typeScript ? Path.GetFileNameWithoutExtension(renamed) : renamed);
        }
        Write(Path.Combine(dir, typeScript ? "next.config.ts" : "next.config.mjs"),
            Wrapper("next", import, "(phase, context)", "phase, context", "productionBrowserSourceMaps: true", typeScript));
        return true;
    }

    /// <summary>A config that imports the app's own (an object, a promise or a function of the tool's arguments) and
    /// adds <paramref name="setting"/>.</summary>
    private static string Wrapper(string tool, string? import, string parameters, string arguments, string setting, bool typeScript)
    {
        var wrapper = new StringBuilder();
        if (typeScript)
        {
            // Next type-checks its config; the wrapper's parameters are whatever the app's config takes.
            wrapper.Append("// @ts-nocheck\n");
        }
        wrapper.Append($"// Written by Slipway for \"errors\": {{\"sourceMaps\": true}}: the app's own {tool} config, with source maps.\n");
        wrapper.Append(import is null ? "const config = {};\n" : $"import config from '{import}';\n");
        wrapper.Append($"export default async {parameters} => {{\n");
        wrapper.Append($"  const resolved = typeof config === 'function' ? await config({arguments}) : await config;\n");
        wrapper.Append($"  return {{ ...resolved, {setting} }};\n");
        wrapper.Append("};\n");
        return wrapper.ToString();
    }

    /// <summary>Writes a new file, never through a link the source put at that name.</summary>
    private static void Write(string path, string text)
    {
        File.Delete(path);
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        file.Write(Encoding.UTF8.GetBytes(text));
    }

    private static HashSet<string> Dependencies(string packageJson)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            // A regular file of a sane size: the source may hold a link at that name.
            var info = new FileInfo(packageJson);
            if (!info.Exists || info.LinkTarget is not null || info.Length > 1024 * 1024)
            {
                return names;
            }
            using var document = JsonDocument.Parse(File.ReadAllBytes(packageJson));
            foreach (var section in (string[])["dependencies", "devDependencies"])
            {
                if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(section, out var deps) &&
                    deps.ValueKind == JsonValueKind.Object)
                {
                    names.UnionWith(deps.EnumerateObject().Select(p => p.Name));
                }
            }
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            // No package.json (or one the build itself will complain about): nothing to ask.
        }
        return names;
    }

    public void Collect(AppRef target, string release, AppSpec spec, string buildDir, Action<string> log)
    {
        if (!spec.Errors.SourceMaps)
        {
            return;
        }
        if (maps.DirOf(target.App, release) is not { } kept)
        {
            log($"errors: the release '{release}' cannot name a directory; its source maps are not kept");
            return;
        }
        var moved = 0;
        long bytes = 0;
        var regular = RegularFiles(buildDir);
        // Which generated file names which map: by its trailing comment, since a map need not be named after its file
        // (Turbopack's chunk 26qfrj1r3e6mh.js ends with "//# sourceMappingURL=2ngis78srtgow.js.map").
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var generated in regular.Where(IsGenerated))
        {
            if (MappingUrlOf(generated) is { } url && Path.GetFullPath(Path.Combine(Path.GetDirectoryName(generated)!, url)) is var map &&
                map.EndsWith(".map", StringComparison.Ordinal) && regular.Contains(map))
            {
                pairs[generated] = map;
            }
        }
        var movedMaps = new HashSet<string>(StringComparer.Ordinal);
        foreach (var map in regular.Where(f => f.EndsWith(".map", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            try
            {
                var destination = Path.Combine(kept, Path.GetRelativePath(buildDir, map));
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                var length = new FileInfo(map).Length;
                bytes += length;
                File.Move(map, destination, overwrite: true);
                if (length > SourceMapStore.MaxMapBytes)
                {
                    log($"errors: {Path.GetRelativePath(buildDir, map)} is {ByteSizes.Format(length)}, over the {ByteSizes.Format(SourceMapStore.MaxMapBytes)} " +
                        "read for a lookup: its frames will be shown minified (split the bundle into smaller chunks)");
                }
                moved++;
                movedMaps.Add(map);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log($"errors: could not take {Path.GetRelativePath(buildDir, map)} out of the build ({e.Message})");
            }
        }
        // A generated file whose map went loses the comment naming it (browsers would ask for it), and the pairs whose
        // names differ are kept beside the maps for lookups.
        var named = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (generated, map) in pairs.Where(p => movedMaps.Contains(p.Value)))
        {
            try
            {
                StripMappingComment(generated);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log($"errors: could not remove the sourceMappingURL comment of {Path.GetRelativePath(buildDir, generated)} ({e.Message})");
            }
            var (file, mapFile) = (Path.GetRelativePath(buildDir, generated), Path.GetRelativePath(buildDir, map));
            // A name with a tab or a line break would shape a line of pairs.tsv: such a pair is not kept.
            if (map != generated + ".map" && !$"{file}{mapFile}".Any(char.IsControl))
            {
                named[file] = mapFile;
            }
        }
        foreach (var map in movedMaps.Where(m => !pairs.ContainsValue(m) && regular.Contains(m[..^".map".Length])))
        {
            // A map beside its file that the file does not name (a comment already stripped, or never written).
            try
            {
                StripMappingComment(map[..^".map".Length]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log($"errors: could not remove the sourceMappingURL comment of {Path.GetRelativePath(buildDir, map[..^".map".Length])} ({e.Message})");
            }
        }
        if (named.Count > 0)
        {
            try
            {
                // Another build of the same release (the same commit to staging, then production) adds to its pairs.
                var existing = Path.Combine(kept, SourceMapStore.PairsFile);
                if (File.Exists(existing) && new FileInfo(existing).Length < 16 * 1024 * 1024)
                {
                    foreach (var line in File.ReadLines(existing))
                    {
                        if (line.Split('\t') is [var file, var mapFile])
                        {
                            named.TryAdd(file, mapFile);
                        }
                    }
                }
                File.WriteAllLines(Path.Combine(kept, SourceMapStore.PairsFile), named.Select(p => $"{p.Key}\t{p.Value}"));
            }
            catch (IOException e)
            {
                log($"errors: could not keep which file each source map belongs to ({e.Message}); frames of renamed maps stay minified");
            }
        }
        if (moved > 0)
        {
            try
            {
                // Marks the release as fresh for Prune (a rebuild of the same commit adds no new directory).
                Directory.SetLastWriteTimeUtc(kept, DateTime.UtcNow);
            }
            catch (IOException)
            {
            }
        }
        log(moved > 0
            ? $"errors: kept {moved} source map{(moved == 1 ? "" : "s")} ({ByteSizes.Format(bytes)}) of release {release}; they are not served"
            : "errors: errors.sourceMaps is on, but the build wrote no source maps. Vite and Next.js builds are asked " +
              "for them; another bundler needs its own setting (esbuild --sourcemap=external, webpack devtool: 'hidden-source-map').");
    }

    /// <summary>The build's regular files with one link (nothing it linked in from elsewhere), node_modules and .git
    /// aside, listed by find(1), which neither follows a symbolic link nor opens a file (a FIFO would block).</summary>
    private static HashSet<string> RegularFiles(string dir)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("find") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in (string[])[dir, "(", "-name", "node_modules", "-o", "-name", ".git", ")", "-prune", "-o", "-type", "f", "-links", "1", "-print0"])
        {
            psi.ArgumentList.Add(arg);
        }
        using var find = System.Diagnostics.Process.Start(psi)!;
        var output = find.StandardOutput.ReadToEnd();
        find.WaitForExit();
        return new HashSet<string>(output.Split('\0', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
    }

    private static bool IsGenerated(string file) =>
        file.EndsWith(".js", StringComparison.Ordinal) || file.EndsWith(".mjs", StringComparison.Ordinal) || file.EndsWith(".cjs", StringComparison.Ordinal) ||
        file.EndsWith(".css", StringComparison.Ordinal);

    /// <summary>The map a generated file names in its last line ("//# sourceMappingURL=a.js.map", CSS's
    /// "/*# sourceMappingURL=a.css.map */"), URL-decoded, relative to the file; null for none, an inline data: map or
    /// one on another host.</summary>
    internal static string? MappingUrlOf(string generated)
    {
        if (MappingComment(generated) is not { Url: var url })
        {
            return null;
        }
        if (url.StartsWith("data:", StringComparison.Ordinal) || url.Contains("://", StringComparison.Ordinal) || url.StartsWith('/'))
        {
            return null;
        }
        var path = Uri.UnescapeDataString(url.Split('?', '#')[0]);
        return path.Length == 0 || path.Contains('\0') ? null : path;
    }

    /// <summary>Removes the trailing sourceMappingURL comment (its map went), so browsers do not ask for a map that is
    /// no longer there.</summary>
    internal static void StripMappingComment(string generated)
    {
        if (MappingComment(generated) is { Bytes: var bytes })
        {
            using var file = new FileStream(generated, FileMode.Open, FileAccess.ReadWrite);
            file.SetLength(file.Length - bytes);
        }
    }

    /// <summary>The trailing comment's URL and how many bytes it takes at the end of the file (with what follows it).</summary>
    private static (string Url, int Bytes)? MappingComment(string generated)
    {
        using var file = new FileStream(generated, FileMode.Open, FileAccess.Read);
        var tail = (int)Math.Min(file.Length, 1024);
        file.Seek(-tail, SeekOrigin.End);
        var buffer = new byte[tail];
        file.ReadExactly(buffer);
        var text = Encoding.UTF8.GetString(buffer);
        foreach (var marker in (string[])["//# sourceMappingURL=", "/*# sourceMappingURL="])
        {
            var at = text.LastIndexOf(marker, StringComparison.Ordinal);
            // The comment is the file's last line: a marker inside code (a string that holds it) is not one.
            if (at < 0 || (at > 0 && text[at - 1] != '\n') || text.AsSpan(at).TrimEnd().Contains('\n'))
            {
                continue;
            }
            var url = text[(at + marker.Length)..].Trim();
            if (marker[1] == '*')
            {
                url = url.EndsWith("*/", StringComparison.Ordinal) ? url[..^2].Trim() : url;
            }
            return (url, Encoding.UTF8.GetByteCount(text[at..]));
        }
        return null;
    }
}
