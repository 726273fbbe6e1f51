using System.Text.Json;

namespace Slipway.Monitoring;

/// <summary>A row of `drains` (schema step 10) as stored: text columns, secrets sealed. <see cref="App"/> is the app
/// environment's row key, "" for a drain of every app. The status columns are what the drain's sender last saved.</summary>
internal sealed record DrainRecord(string Id, string App, string BaseApp, string Env, string Name, string Kind, string Destination, string UrlEnc,
    string HeadersEnc, string HeaderNames, long Access, long Gzip, string? CaPem, DateTimeOffset CreatedAt, string State, long Delivered,
    long Dropped, DateTimeOffset? LastDeliveredAt, string? LastError, DateTimeOffset? LastErrorAt)
{
    /// <summary>The app environment whose lines it ships; null: every app's.</summary>
    public AppRef? Scope => App.Length == 0 ? null : new AppRef(BaseApp, Env);

    public DrainKind DrainKind => JsonSpellings.Parse<DrainKind>(Kind);

    public bool ShipsAccessLog => Access != 0;

    public bool Gzips => Gzip != 0;

    /// <summary>"shop", "shop (staging)" or "every app", for messages.</summary>
    public string Whose => Scope?.ToString() ?? "every app";

    public IReadOnlyList<string> MaskedHeaders =>
        (JsonSerializer.Deserialize<List<string>>(HeaderNames) ?? []).Select(name => new DrainHeader(name, "").Masked).ToList();
}
