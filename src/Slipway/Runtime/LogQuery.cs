namespace Slipway.Runtime;

/// <summary>Which lines of a log to show (`slipway logs` and the /logs endpoint): all of its conditions hold.</summary>
internal sealed record LogQuery
{
    public static readonly LogQuery All = new();

    /// <summary>At or after.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>At or before.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>This level or worse (<see cref="LogEntry.EffectiveLevel"/>).</summary>
    public LogSeverity? Level { get; init; }

    public string? Service { get; init; }

    /// <summary>Matched against the message.</summary>
    public LogPattern? Grep { get; init; }

    public bool Matches(LogEntry entry) => MatchesFields(entry) && (Grep is null || Grep.IsMatch(entry.Message));

    /// <summary>Every condition but the pattern (a search has tested that on the message already).</summary>
    public bool MatchesFields(LogEntry entry) =>
        (Since is not { } since || entry.At >= since) &&
        (Until is not { } until || entry.At <= until) &&
        (Level is not { } level || entry.EffectiveLevel >= level) &&
        (Service is null || entry.Service == Service);

    /// <summary>Byte strings one of which every stored line of this level or worse holds (its "l", or "k":"err" for a
    /// plain stderr line, which is an error), or null when the level cannot rule a line out unread.</summary>
    internal byte[][]? LevelMarkers() => Level switch
    {
        LogSeverity.Fatal => [.. Marker(LogSeverity.Fatal)],
        LogSeverity.Error => [.. Marker(LogSeverity.Error), .. Marker(LogSeverity.Fatal), .. StderrMarker],
        LogSeverity.Warn => [.. Marker(LogSeverity.Warn), .. Marker(LogSeverity.Error), .. Marker(LogSeverity.Fatal), .. StderrMarker],
        _ => null,
    };

    private static readonly byte[][] StderrMarker = ["\"k\":\"err\""u8.ToArray()];

    private static byte[][] Marker(LogSeverity level) => [System.Text.Encoding.ASCII.GetBytes($"\"l\":\"{JsonSpellings.Of(level)}\"")];
}
