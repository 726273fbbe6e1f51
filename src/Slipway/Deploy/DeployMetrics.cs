using System.Diagnostics.Metrics;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>Deployments as they end: slipway_deploys_total by app, env, kind (deploy, rollback, config, ...) and
/// result (live, failed, cancelled), and how long they took from being queued to that end
/// (slipway_deploy_duration_seconds).</summary>
internal sealed class DeployMetrics
{
    private static readonly double[] DurationBounds = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600];

    private readonly Counter<long> _deploys;
    private readonly Histogram<double> _duration;
    private readonly Store _store;
    private readonly TimeProvider _clock;

    public DeployMetrics(Store store, TimeProvider clock, IMeterFactory? meters = null)
    {
        _store = store;
        _clock = clock;
        #pragma warning disable CA2000 // the host\'s meter factory owns its meters and disposes them when the host stops
        var meter = PlatformMeter.Create(meters);
        #pragma warning restore CA2000
        _deploys = meter.CreateCounter<long>("slipway.deploys", "{deployment}", "Deployments that ended, by app, env, kind and result");
        _duration = meter.CreateHistogram("slipway.deploy.duration", "s", "Time from a deployment's creation to its end (live, failed or cancelled)",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBounds });
    }

    public void Ended(DeploymentRecord deployment, DeploymentStatus result)
    {
        if (!_deploys.Enabled && !_duration.Enabled)
        {
            return;
        }
        var app = _store.RefOf(deployment.App);
        KeyValuePair<string, object?>[] tags =
        [
            PlatformMeter.Tag("app", app.App), PlatformMeter.Tag("env", app.Env),
            PlatformMeter.Tag("kind", JsonSpellings.Of(deployment.Kind)), PlatformMeter.Tag("result", JsonSpellings.Of(result)),
        ];
        _deploys.Add(1, tags);
        _duration.Record(Math.Max(0, (_clock.GetUtcNow() - deployment.CreatedAt).TotalSeconds), tags);
    }
}
