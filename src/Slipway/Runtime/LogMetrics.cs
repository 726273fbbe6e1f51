using System.Diagnostics.Metrics;
using Slipway.State;

namespace Slipway.Runtime;

/// <summary>Log lines the log store could not write (a full disk, a file it may not write), by app, env and stream
/// ("app" output, "deployment" logs, "access" log), since the platform started: a full disk shows as a rising
/// slipway_logs_dropped_total long before someone looks for a missing line. Labels are bounded by the apps.</summary>
internal sealed class LogMetrics
{
    public LogMetrics(LogStore logs, Store store, IMeterFactory meters)
    {
        #pragma warning disable CA2000 // the host\'s meter factory owns its meters and disposes them when the host stops
        var meter = PlatformMeter.Create(meters);
        #pragma warning restore CA2000
        meter.CreateObservableCounter("slipway.logs.dropped", () => logs.DroppedByApp().Select(d =>
            {
                var app = store.RefOf(d.Key.App);
                return new Measurement<long>(d.Value, PlatformMeter.Tag("app", app.App), PlatformMeter.Tag("env", app.Env),
                    PlatformMeter.Tag("stream", d.Key.Stream));
            }), "{line}",
            "Log lines that could not be stored (a full disk or another write error); they still reached followers and drains");
    }
}
