using System.Diagnostics.Metrics;
using Slipway.Edge.Tls;

namespace Slipway.Monitoring;

/// <summary>The platform's own gauges: free and total space of the filesystem that holds its data directory
/// (builds, logs, databases and backups all live there), the expiry time of each certificate the edge serves, and
/// which Slipway version runs.</summary>
internal sealed class PlatformMetrics
{
    public PlatformMetrics(string dataDir, CertificateStore? certificates, IMeterFactory meters)
    {
        #pragma warning disable CA2000 // the host\'s meter factory owns its meters and disposes them when the host stops
        var meter = PlatformMeter.Create(meters);
        #pragma warning restore CA2000
        meter.CreateObservableGauge("slipway.disk.free", () => Disk(dataDir, d => d.FreeBytes), "By",
            "Bytes free for Slipway on the filesystem of its data directory");
        meter.CreateObservableGauge("slipway.disk.size", () => Disk(dataDir, d => d.SizeBytes), "By",
            "Size of the filesystem of Slipway's data directory");
        if (certificates is not null)
        {
            meter.CreateObservableGauge("slipway.certificate.expiry", () => Expiries(certificates), "s",
                "When each certificate the edge serves expires, in seconds since the Unix epoch");
        }
        var version = typeof(PlatformMetrics).Assembly.GetName().Version?.ToString(3) ?? "unknown";
        meter.CreateObservableGauge("slipway.build.info", () => new Measurement<int>(1, PlatformMeter.Tag("version", version)), "1",
            "Always 1; the version label says which Slipway runs");
    }

    private static IEnumerable<Measurement<long>> Disk(string dataDir, Func<DiskSpace, long> value) =>
        DiskSpace.Of(dataDir) is { } space ? [new Measurement<long>(value(space), PlatformMeter.Tag("path", dataDir))] : [];

    private static IEnumerable<Measurement<long>> Expiries(CertificateStore certificates) =>
        certificates.Current.Entries.Select(e => new Measurement<long>(e.NotAfter.ToUnixTimeSeconds(), PlatformMeter.Tag("host", e.Host)));
}
