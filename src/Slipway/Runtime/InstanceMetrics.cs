using System.Diagnostics.Metrics;
using Slipway.State;

namespace Slipway.Runtime;

/// <summary>What each running replica uses, read when /metrics is scraped: CPU time, memory and its limit from the
/// replica's cgroup (<see cref="Instance.Usage"/>), restarts and OOM kills, and whether it is healthy. Labels are
/// app, env, service, replica and deployment, so the old and the new replica of a deploy (and the warm ones kept for
/// a rollback) are separate series whose counters never jump between processes. Observable series that are no longer
/// reported are dropped by the SDK at the next collection, so the label set stays bounded by the replicas running
/// now, not by the deploys made.</summary>
internal sealed class InstanceMetrics
{
    private readonly Supervisor _supervisor;
    private readonly Store _store;

    public InstanceMetrics(Supervisor supervisor, Store store, IMeterFactory meters)
    {
        _supervisor = supervisor;
        _store = store;
        #pragma warning disable CA2000 // the host\'s meter factory owns its meters and disposes them when the host stops
        var meter = PlatformMeter.Create(meters);
        #pragma warning restore CA2000
        meter.CreateObservableCounter("slipway.instance.cpu.time", () => Observe(u => u.Usage?.CpuSeconds), "s",
            "CPU time of the replica's process tree since it started (its cgroup's count)");
        meter.CreateObservableGauge("slipway.instance.memory.usage", () => Observe(u => (double?)u.Usage?.MemoryBytes), "By",
            "Memory the replica uses now, page cache included (what its limit is checked against)");
        meter.CreateObservableGauge("slipway.instance.memory.limit", () => Observe(u => (double?)u.Usage?.LimitBytes), "By",
            "The replica's memory limit (absent when it has none)");
        meter.CreateObservableCounter("slipway.instance.restarts", () => Observe(u => u.Instance.Restarts), "{restart}",
            "Times the supervisor restarted the replica after it exited or failed its health checks");
        meter.CreateObservableCounter("slipway.instance.oom_kills", () => Observe(u => u.Instance.OomKills), "{kill}",
            "Times the kernel's OOM killer ended the replica at its memory limit");
        meter.CreateObservableGauge("slipway.instance.healthy", () => Observe(u => u.Instance.State == InstanceState.Healthy ? 1 : 0), "1",
            "1 while the replica passes its health checks, else 0");
    }

    private sealed record Reading(Instance Instance, InstanceUsage? Usage, KeyValuePair<string, object?>[] Tags);

    private IEnumerable<Measurement<double>> Observe(Func<Reading, double?> value)
    {
        foreach (var reading in Current())
        {
            if (value(reading) is { } v)
            {
                yield return new Measurement<double>(v, reading.Tags);
            }
        }
    }

    /// <summary>One reading per running replica.</summary>
    private List<Reading> Current()
    {
        var refs = new Dictionary<string, AppRef>(StringComparer.Ordinal);
        return _supervisor.All()
            .Where(i => i.State is not (InstanceState.Stopped or InstanceState.Exited))
            .Select(i =>
            {
                if (!refs.TryGetValue(i.Spec.App, out var app))
                {
                    refs[i.Spec.App] = app = _store.RefOf(i.Spec.App);
                }
                return new Reading(i, i.Usage(),
                [
                    PlatformMeter.Tag("app", app.App), PlatformMeter.Tag("env", app.Env),
                    PlatformMeter.Tag("service", i.Spec.Service.Name), PlatformMeter.Tag("replica", i.Spec.Replica),
                    PlatformMeter.Tag("deployment", i.Spec.DeploymentId),
                ]);
            })
            .ToList();
    }
}
