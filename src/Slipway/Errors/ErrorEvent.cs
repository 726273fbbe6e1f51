using System.Text.Json.Nodes;

namespace Slipway.Errors;

/// <summary>One frame of a stack trace, as an SDK sends it (oldest call first, the throwing one last) or as a source
/// map turned it back into the original source.</summary>
internal sealed record StackFrame(string? Filename, string? AbsPath, string? Function, string? Module, int? Line, int? Column, bool? InApp)
{
    public string? ContextLine { get; init; }

    /// <summary>Where the frame came from before a source map was applied ("assets/index-4f2a.js:1:2043").</summary>
    public string? Minified { get; init; }

    public string Where => $"{Filename ?? AbsPath ?? Module ?? "?"}{(Line is { } l ? $":{l}" + (Column is { } c ? $":{c}" : "") : "")}";
}

/// <summary>One exception of an event (a chained cause is another one, listed before it).</summary>
internal sealed record ExceptionInfo(string Type, string? Value, string? Module, IReadOnlyList<StackFrame> Frames, bool? Handled);

/// <summary>What Slipway reads from an SDK's event: enough to group it, list its issue and show it; the whole
/// (scrubbed) event is stored beside it.</summary>
internal sealed record ErrorEvent(
    string EventId,
    DateTimeOffset Timestamp,
    string Level,
    string? Platform,
    string? Release,
    string? Environment,
    string? Message,
    IReadOnlyList<ExceptionInfo> Exceptions,
    IReadOnlyList<string>? Fingerprint,
    string? UserKey,
    string? Transaction,
    JsonObject Body)
{
    /// <summary>The exception the event is about: SDKs list chained causes first and the one caught last.</summary>
    public ExceptionInfo? Main => Exceptions.Count > 0 ? Exceptions[^1] : null;

    /// <summary>"TypeError: Cannot read properties of undefined (reading 'id')", or the message.</summary>
    public string Title
    {
        get
        {
            var title = Main is { } e ? (e.Value is { Length: > 0 } v ? $"{e.Type}: {v}" : e.Type) : Message ?? "(no message)";
            title = title.ReplaceLineEndings(" ");
            return title.Length <= MaxTitle ? title : title[..(MaxTitle - 1)] + "…";
        }
    }

    /// <summary>Where it happened: the throwing in-app frame's function and file.</summary>
    public string? Culprit
    {
        get
        {
            var frames = Main?.Frames ?? [];
            var frame = frames.LastOrDefault(f => f.InApp == true) ?? frames.LastOrDefault();
            return frame is null ? Transaction : $"{frame.Function ?? "?"} ({frame.Where})";
        }
    }

    public const int MaxTitle = 200;
}
