using System.Text;
using System.Text.Json;
using Slipway.Manifests;

namespace Slipway.Errors.SourceMaps;

/// <summary>With <c>"errors": {"sourceMaps": true}</c>, a build is asked for hidden source maps and they are taken out
/// of what it serves, kept with the release for `errors show`: no upload step, since the platform built the bundle.
///
///   Prepare: a service that builds with Vite or Next.js gets its config wrapped (the app's own file, renamed, is
///            imported by a vite.config.mjs / next.config.mjs that adds build.sourcemap "hidden" /
///            productionBrowserSourceMaps) in the build's copy of the source; the pristine copy is untouched.
///   Collect: every *.map under the build (node_modules aside) whose generated file is beside it moves to
///            DATA/source-maps/APP/RELEASE, and that file loses its sourceMappingURL comment: nothing asks for a map
///            and no map is left to serve.</summary>
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
            var dependencies = Dependencies(Path.Combine(dir, "package.json"));
            if (dependencies.Contains("next"))
            {
                Wrap(dir, "next", ["next.config.js", "next.config.mjs", "next.config.ts"], "productionBrowserSourceMaps: true", "(phase, context)", "phase, context");
                log($"errors: {service.Name}: Next.js builds browser source maps (errors.sourceMaps); they are kept, not served");
            }
            else if (dependencies.Contains("vite"))
            {
                Wrap(dir, "vite", ["vite.config.js", "vite.config.mjs", "vite.config.ts", "vite.config.cjs", "vite.config.mts", "vite.config.cts"],
                    "build: { ...(resolved?.build ?? {}), sourcemap: 'hidden' }", "(env)", "env");
                log($"errors: {service.Name}: Vite builds hidden source maps (errors.sourceMaps); they are kept, not served");
            }
        }
    }

    /// <summary>Renames the first config file the tool would read (in its own order) and writes a .mjs config, read
    /// before any other, that imports it and adds <paramref name="setting"/>. A config may be an object, a promise
    /// or a function of the tool's arguments.</summary>
    private static void Wrap(string dir, string tool, string[] candidates, string setting, string parameters, string arguments)
    {
        var existing = candidates.FirstOrDefault(c => File.Exists(Path.Combine(dir, c)));
        var wrapper = new StringBuilder($"// Written by Slipway for \"errors\": {{\"sourceMaps\": true}}: the app's own {tool} config, with source maps.\n");
        if (existing is null)
        {
            wrapper.Append("const config = {};\n");
        }
        else
        {
            var extension = Path.GetExtension(existing);
            var renamed = $"{tool}.{UserConfigStem}{extension}";
            File.Move(Path.Combine(dir, existing), Path.Combine(dir, renamed));
            // Next.js reads a .ts config through its own compiler, which resolves an import without its extension.
            wrapper.Append($"import config from './{(tool == "next" && extension == ".ts" ? Path.GetFileNameWithoutExtension(renamed) : renamed)}';\n");
        }
        wrapper.Append($"export default async {parameters} => {{\n");
        wrapper.Append($"  const resolved = typeof config === 'function' ? await config({arguments}) : await config;\n");
        wrapper.Append($"  return {{ ...resolved, {setting} }};\n");
        wrapper.Append("};\n");
        var name = existing is not null && tool == "next" && Path.GetExtension(existing) == ".ts" ? $"{tool}.config.ts" : $"{tool}.config.mjs";
        File.WriteAllText(Path.Combine(dir, name), wrapper.ToString());
    }

    private static HashSet<string> Dependencies(string packageJson)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        try
        {
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
        foreach (var map in MapsUnder(buildDir))
        {
            var generated = map[..^".map".Length];
            if (!File.Exists(generated))
            {
                continue;
            }
            var relative = Path.GetRelativePath(buildDir, map);
            var destination = Path.Combine(kept, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            bytes += new FileInfo(map).Length;
            File.Move(map, destination, overwrite: true);
            StripMappingComment(generated, Path.GetFileName(map));
            moved++;
        }
        log(moved > 0
            ? $"errors: kept {moved} source map{(moved == 1 ? "" : "s")} ({ByteSizes.Format(bytes)}) of release {release}; they are not served"
            : "errors: errors.sourceMaps is on, but the build wrote no source maps beside its output. Vite and Next.js builds are asked " +
              "for them; another bundler needs its own setting (esbuild --sourcemap=external, webpack devtool: 'hidden-source-map').");
    }

    /// <summary>Every *.map under the build, skipping node_modules (maps of dependencies are theirs, not served) and .git.</summary>
    private static IEnumerable<string> MapsUnder(string dir)
    {
        var pending = new Stack<string>([dir]);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            foreach (var sub in Directory.EnumerateDirectories(current))
            {
                var name = Path.GetFileName(sub);
                if (name is not ("node_modules" or ".git") && !new DirectoryInfo(sub).Attributes.HasFlag(FileAttributes.ReparsePoint))
                {
                    pending.Push(sub);
                }
            }
            foreach (var file in Directory.EnumerateFiles(current, "*.map"))
            {
                yield return file;
            }
        }
    }

    /// <summary>Removes a trailing "//# sourceMappingURL=NAME" (or CSS's "/*# ... */") naming <paramref name="mapName"/>,
    /// so browsers do not ask for a map that is no longer there.</summary>
    internal static void StripMappingComment(string generated, string mapName)
    {
        using var file = new FileStream(generated, FileMode.Open, FileAccess.ReadWrite);
        var tail = (int)Math.Min(file.Length, 1024);
        file.Seek(-tail, SeekOrigin.End);
        var buffer = new byte[tail];
        file.ReadExactly(buffer);
        var text = Encoding.UTF8.GetString(buffer);
        foreach (var marker in (string[])["//# sourceMappingURL=", "/*# sourceMappingURL="])
        {
            var at = text.LastIndexOf(marker, StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }
            var url = text[(at + marker.Length)..].Trim().TrimEnd('/').TrimEnd('*').Trim();
            if (url.Split('/')[^1] == mapName)
            {
                file.SetLength(file.Length - Encoding.UTF8.GetByteCount(text[at..]));
            }
            return;
        }
    }
}
