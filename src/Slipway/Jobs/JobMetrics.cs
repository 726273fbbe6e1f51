using System.Diagnostics.Metrics;
using Slipway.State;

namespace Slipway.Jobs;

/// <summary>Cron runs as they end (slipway_cron_runs_total by app, env, job and result, and their duration), and
/// the message queue read at each scrape: pending and dead messages per app environment.</summary>
internal sealed class JobMetrics
{
    private static readonly double[] DurationBounds = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

    private readonly Counter<long> _runs;
    private readonly Histogram<double> _duration;
    private readonly Store _store;

    public JobMetrics(JobStore jobs, Store store, IMeterFactory? meters = null)
    {
        _store = store;
        #pragma warning disable CA2000 // the host\'s meter factory owns its meters and disposes them when the host stops
        var meter = PlatformMeter.Create(meters);
        #pragma warning restore CA2000
        _runs = meter.CreateCounter<long>("slipway.cron.runs", "{run}", "Cron job runs that ended, by app, env, job and result");
        _duration = meter.CreateHistogram("slipway.cron.run.duration", "s", "How long a cron job run took, its retries included",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBounds });
        meter.CreateObservableGauge("slipway.messages.pending", () => Queue(jobs, "pending"), "{message}",
            "Messages waiting for delivery (due now or later), per app environment");
        meter.CreateObservableGauge("slipway.messages.dead", () => Queue(jobs, "dead"), "{message}",
            "Messages that used up their retries and wait in the dead letters (slipway messages ls --dead)");
    }

    public void Finished(CronRunRecord run)
    {
        if (!_runs.Enabled && !_duration.Enabled)
        {
            return;
        }
        var app = _store.RefOf(run.App);
        KeyValuePair<string, object?>[] tags =
        [
            PlatformMeter.Tag("app", app.App), PlatformMeter.Tag("env", app.Env), PlatformMeter.Tag("job", run.Job),
            PlatformMeter.Tag("result", run.Status),
        ];
        _runs.Add(1, tags);
        if (run.DurationMs is { } ms)
        {
            _duration.Record(ms / 1000.0, tags);
        }
    }

    private IEnumerable<Measurement<long>> Queue(JobStore jobs, string status)
    {
        var refs = new Dictionary<string, AppRef>(StringComparer.Ordinal);
        foreach (var (key, count) in jobs.MessageCounts(status))
        {
            if (!refs.TryGetValue(key, out var app))
            {
                refs[key] = app = _store.RefOf(key);
            }
            yield return new Measurement<long>(count, PlatformMeter.Tag("app", app.App), PlatformMeter.Tag("env", app.Env));
        }
    }
}
