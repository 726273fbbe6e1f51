using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Slipway.Tests.Support;

/// <summary>The latest value of each "slipway.*" instrument whose labels match, read as a scrape would
/// (observable instruments are collected on <see cref="ReadAsync"/>). Other platforms in this process may share
/// instrument names: the label filter tells this test's series apart.</summary>
internal sealed class MeterReadings : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, double> _values = new();

    public MeterReadings(string prefix, IReadOnlyDictionary<string, string> labels)
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name.StartsWith(prefix, StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Seen(Instrument i, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var found = tags.ToArray().ToDictionary(t => t.Key, t => t.Value?.ToString());
            if (labels.All(l => found.TryGetValue(l.Key, out var v) && v == l.Value))
            {
                _values[i.Name] = value;
            }
        }
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Seen(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Seen(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Seen(i, v, tags));
        _listener.Start();
    }

    /// <summary>Collects until every one of <paramref name="names"/> has a value, or 20 s.</summary>
    public async Task<IReadOnlyDictionary<string, double>> ReadAsync(params string[] names)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        do
        {
            _listener.RecordObservableInstruments();
            if (names.All(_values.ContainsKey))
            {
                break;
            }
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        return new Dictionary<string, double>(_values);
    }

    public void Dispose() => _listener.Dispose();
}
