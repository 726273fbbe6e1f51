using System.Text.RegularExpressions;

namespace Slipway.Errors.SourceMaps;

/// <summary>Turns a minified stack back into the original source, frame by frame, with the maps of the event's
/// release. A frame keeps where it came from (<see cref="StackFrame.Minified"/>); one no map covers stays as sent.
/// A function's original name is the one the map gives its caller's call site (the frame before it), since the
/// call names the function; without one the SDK's name stays.</summary>
internal static partial class Symbolicator
{
    public static IReadOnlyList<ExceptionInfo> Apply(IReadOnlyList<ExceptionInfo> exceptions, SourceMapStore.Lookup lookup) =>
        exceptions.Select(e => e with { Frames = Apply(e.Frames, lookup) }).ToList();

    private static IReadOnlyList<StackFrame> Apply(IReadOnlyList<StackFrame> frames, SourceMapStore.Lookup lookup)
    {
        var positions = frames.Select(f => (f.AbsPath ?? f.Filename) is { } file && f.Line is { } line && f.Column is { } column
            ? lookup.Find(file, line, column)
            : null).ToList();
        var result = new List<StackFrame>(frames.Count);
        for (var i = 0; i < frames.Count; i++)
        {
            var frame = frames[i];
            if (positions[i] is not { } original)
            {
                result.Add(frame);
                continue;
            }
            var source = Clean(original.Source);
            var calledAs = i > 0 && positions[i - 1]?.Name is { } name && Identifier().IsMatch(name) ? name : null;
            result.Add(frame with
            {
                Filename = source,
                AbsPath = null,
                Function = calledAs ?? frame.Function,
                Line = original.Line,
                Column = original.Column,
                InApp = !source.Contains("node_modules/", StringComparison.Ordinal),
                ContextLine = original.ContextLine,
                Minified = frame.Where,
            });
        }
        return result;
    }

    /// <summary>"../../src/App.tsx", "webpack://_N_E/./src/app/page.tsx" and Turbopack's "turbopack:///[project]/app/page.tsx"
    /// as "src/App.tsx", "src/app/page.tsx" and "app/page.tsx".</summary>
    internal static string Clean(string source)
    {
        var s = WebpackPrefix().Replace(source, "");
        while (s.StartsWith("../", StringComparison.Ordinal) || s.StartsWith("./", StringComparison.Ordinal))
        {
            s = s[(s.IndexOf('/') + 1)..];
        }
        return s;
    }

    [GeneratedRegex(@"^(webpack://[^/]*/|turbopack:///\[project\]/)")]
    private static partial Regex WebpackPrefix();

    [GeneratedRegex(@"^[A-Za-z_$][A-Za-z0-9_$]*$")]
    private static partial Regex Identifier();
}
