using System.Text.RegularExpressions;

namespace Slipway.Errors.SourceMaps;

/// <summary>The source maps of each release, kept out of what is served: DATA/source-maps/APP/RELEASE/PATH.map, PATH
/// being where the build wrote the map (dist/assets/index-4f2a.js.map). Per app, not per environment: a promoted
/// build serves the same bundles. A frame's file (a URL or a path) finds its map by name, the longest matching path
/// winning when two builds' outputs share a name.</summary>
internal sealed partial class SourceMapStore(ErrorsOptions options)
{
    /// <summary>Releases whose maps are kept per app; older ones go (the builds they came from are gone by then).</summary>
    public const int KeptReleases = 20;

    /// <summary>The largest map read (a read map takes about its size in memory, see <see cref="SourceMap"/>).</summary>
    public const long MaxMapBytes = 16L * 1024 * 1024;

    /// <summary>In a release's directory: "GENERATED\tMAP" lines for the maps not named after their file (Turbopack's).</summary>
    public const string PairsFile = "pairs.tsv";

    /// <summary>What one event's frames may read from disk: maps already kept cost nothing.</summary>
    public const long ReadPerEvent = 48L * 1024 * 1024;

    private readonly SourceMapCache _cache = new();

    /// <summary>Each release directory's maps by name, read at most every <see cref="IndexKept"/>: ingest looks them up
    /// for every browser event.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long At, Dictionary<string, List<(string Generated, string Map)>> Index)> _indexes =
        new(StringComparer.Ordinal);

    private const long IndexKept = 10_000;

    private string Root => Path.Combine(options.DataDir, "source-maps");

    /// <summary>Where <paramref name="release"/>'s maps go, or null for a release no directory may be named after.</summary>
    public string? DirOf(string app, string release) =>
        SafeName().IsMatch(app) && SafeName().IsMatch(release) ? Path.Combine(Root, app, release) : null;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex SafeName();

    /// <summary>A reader for one event's frames: maps are read once each, on first use.</summary>
    /// <param name="readBudget">What this event's frames may read from disk (ingest reads less: its senders include
    /// anyone with a browser app's public DSN).</param>
    public Lookup For(string app, string? release, long readBudget = ReadPerEvent) => new(release is null ? null : DirOf(app, release), this, readBudget);

    public void DeleteApp(string app)
    {
        _indexes.Clear();
        if (SafeName().IsMatch(app) && Directory.Exists(Path.Combine(Root, app)))
        {
            Directory.Delete(Path.Combine(Root, app), recursive: true);
        }
    }

    /// <summary>Keeps, of each app, the maps of the releases <paramref name="inUse"/> names (live in an environment, or
    /// what a rollback goes back to), of those written in the last hour (a build may be collecting them) and of the
    /// newest <see cref="KeptReleases"/>; the rest go. A flood of preview builds never pushes out production's maps.</summary>
    public void Prune(Func<string, IReadOnlySet<string>> inUse)
    {
        _indexes.Clear();
        if (!Directory.Exists(Root))
        {
            return;
        }
        var fresh = DateTime.UtcNow.AddHours(-1);
        foreach (var app in new DirectoryInfo(Root).EnumerateDirectories())
        {
            var used = inUse(app.Name);
            foreach (var old in app.EnumerateDirectories().OrderByDescending(d => d.LastWriteTimeUtc).Skip(KeptReleases)
                .Where(d => !used.Contains(d.Name) && d.LastWriteTimeUtc < fresh))
            {
                old.Delete(recursive: true);
            }
        }
    }

    /// <summary>The maps under <paramref name="dir"/> by file name, as read at most <see cref="IndexKept"/> ms ago.</summary>
    private Dictionary<string, List<(string Generated, string Map)>> IndexOf(string dir)
    {
        var now = Environment.TickCount64;
        if (_indexes.TryGetValue(dir, out var known) && now - known.At < IndexKept)
        {
            return known.Index;
        }
        var index = Lookup.Index(dir);
        if (_indexes.Count > 1000)
        {
            _indexes.Clear();
        }
        _indexes[dir] = (now, index);
        return index;
    }

    internal sealed class Lookup(string? dir, SourceMapStore owner, long readBudget)
    {
        private Dictionary<string, List<(string Generated, string Map)>>? _byName;
        private readonly Dictionary<string, SourceMap?> _maps = new(StringComparer.Ordinal);
        private readonly List<string> _problems = [];
        private long _read;
        private int _finds;

        /// <summary>Frames one event may have looked up (SDKs send at most 50 a stack; an event is at most 1 MB).</summary>
        public const int MaxFinds = 200;

        /// <summary>Why maps that were looked for could not be used ("dist/assets/a.js.map: not JSON (...)"), so a frame
        /// left minified says why.</summary>
        public IReadOnlyList<string> Problems => _problems;

        /// <summary>Where a frame of <paramref name="file"/> at a 1-based line and column came from, or null when no
        /// kept map covers it (no map for that file, a map that cannot be read, a position it does not map).</summary>
        public OriginalPosition? Find(string file, int line, int column)
        {
            // A browser extension's or another site's script is not the app's, whatever its file's name.
            if (dir is null || (file.Contains("://", StringComparison.Ordinal) && !file.StartsWith("http://", StringComparison.Ordinal) &&
                !file.StartsWith("https://", StringComparison.Ordinal) && !file.StartsWith("app://", StringComparison.Ordinal)))
            {
                return null;
            }
            if (++_finds > MaxFinds)
            {
                if (_finds == MaxFinds + 1)
                {
                    _problems.Add($"only the first {MaxFinds} frames are looked up");
                }
                return null;
            }
            if (MapFor(PathOf(file)) is not { } map)
            {
                return null;
            }
            return map.Find(line, column);
        }

        private SourceMap? MapFor(string path)
        {
            _byName ??= owner.IndexOf(dir!);
            if (!_byName.TryGetValue(Path.GetFileName(path), out var candidates))
            {
                return null;
            }
            // "/assets/index-4f2a.js" against dist/assets/index-4f2a.js(.map) and, say, public/index-4f2a.js(.map).
            var best = candidates.MaxBy(c => CommonSuffix(c.Generated, path)).Map;
            if (!_maps.TryGetValue(best, out var map))
            {
                (map, var problem, var read) = owner._cache.Get(Path.Combine(dir!, best), readBudget - _read);
                _read += read;
                if (problem is not null)
                {
                    _problems.Add($"{best}: {problem}");
                }
                _maps[best] = map;
            }
            return map;
        }

        /// <summary>Whether the release has any map (else nothing needs looking up).</summary>
        public bool HasMaps => dir is not null && (_byName ??= owner.IndexOf(dir)).Count > 0;

        /// <summary>The release's maps by the name of the file each belongs to: its own name without ".map", or the file
        /// that named it (<see cref="PairsFile"/>).</summary>
        internal static Dictionary<string, List<(string Generated, string Map)>> Index(string dir)
        {
            var index = new Dictionary<string, List<(string, string)>>(StringComparer.Ordinal);
            if (!Directory.Exists(dir))
            {
                return index;
            }
            void Add(string generated, string map)
            {
                var name = Path.GetFileName(generated);
                if (!index.TryGetValue(name, out var list))
                {
                    index[name] = list = [];
                }
                list.Add((generated, map));
            }
            var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
            var maps = new HashSet<string>(StringComparer.Ordinal);
            foreach (var file in Directory.EnumerateFiles(dir, "*.map", options))
            {
                var relative = Path.GetRelativePath(dir, file);
                maps.Add(relative);
                Add(relative[..^".map".Length], relative);
            }
            var pairs = Path.Combine(dir, PairsFile);
            if (File.Exists(pairs) && new FileInfo(pairs).Length < 16 * 1024 * 1024)
            {
                foreach (var line in File.ReadLines(pairs))
                {
                    // Only to a map that is in this release's directory (the build named the files: a line it could
                    // shape must never lead anywhere else).
                    if (line.Split('\t') is [var generated, var map] && maps.Contains(map))
                    {
                        Add(generated, map);
                    }
                }
            }
            return index;
        }

        /// <summary>The path part of a frame's file: "https://shop.example.com/assets/a.js?v=2" is "/assets/a.js";
        /// "app:///assets/a.js" (an SDK's rewritten frames) and "/srv/app/.next/server/a.js" are kept as paths.</summary>
        internal static string PathOf(string file)
        {
            var path = file.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(file, UriKind.Absolute, out var uri) ? uri.AbsolutePath : file;
            var cut = path.IndexOfAny(['?', '#']);
            return Uri.UnescapeDataString(cut >= 0 ? path[..cut] : path);
        }

        private static int CommonSuffix(string a, string b)
        {
            var n = 0;
            while (n < a.Length && n < b.Length && a[^(n + 1)] == b[^(n + 1)])
            {
                n++;
            }
            return n;
        }
    }
}
