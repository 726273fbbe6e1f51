using Slipway.State;

namespace Slipway.Monitoring.Alerts.Sources;

/// <summary>The app environments as one evaluation sees them: each row (its key, as alerts and settings name it) with
/// its <see cref="AppRef"/>, for titles as people say them ("shop", "shop (staging)") and for CLI flags. Read once per
/// evaluation of a source: one query.</summary>
internal sealed class AppLabels
{
    private readonly Dictionary<string, AppRecord> _rows;

    public AppLabels(IEnumerable<AppRecord> rows) => _rows = rows.ToDictionary(r => r.Name, StringComparer.Ordinal);

    public static AppLabels Read(Store store) => new(store.ListApps());

    /// <summary>Every app environment's row.</summary>
    public IReadOnlyCollection<AppRecord> Rows => _rows.Values;

    public AppRecord? Row(string key) => _rows.GetValueOrDefault(key);

    /// <summary>The environment of row <paramref name="key"/> (production of an app named so, when it has no row). Its
    /// ToString starts an alert's title: "shop", "shop (staging)".</summary>
    public AppRef Ref(string key) => _rows.TryGetValue(key, out var row) ? row.Ref : AppRef.Of(key);
}
