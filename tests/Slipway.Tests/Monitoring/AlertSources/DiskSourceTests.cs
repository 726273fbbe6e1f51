using Slipway.Databases;
using Slipway.Monitoring;
using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Sources;
using Slipway.Tests.Support;

namespace Slipway.Tests.Monitoring.AlertSources;

/// <summary>"disk": the real filesystems of the data directory and of the databases, against thresholds set around
/// what they really have free.</summary>
public sealed class DiskSourceTests : IDisposable
{
    private readonly SourceHarness _h = new();
    private readonly string? _shm = Directory.Exists("/dev/shm")
        ? Directory.CreateDirectory(Path.Combine("/dev/shm", $"slipway-alerts-{Guid.NewGuid():N}")).FullName
        : null;

    public void Dispose()
    {
        _h.Dispose();
        if (_shm is not null)
        {
            TempDirs.Delete(_shm);
        }
    }

    [Fact]
    public void The_data_directory_fires_under_the_threshold_of_free_space_and_not_over_it()
    {
        var free = DiskSpace.Of(_h.Dir)!.Value.FreePercent;
        var source = new DiskSource(new DatabasesOptions { DataDir = _h.Dir, DatabasesDir = Path.Combine(_h.Dir, "databases") });
        Directory.CreateDirectory(Path.Combine(_h.Dir, "databases")); // the same filesystem: checked once
        source.Rules.Should().ContainSingle().Which.PerApp.Should().BeFalse();

        _h.Set("disk", null, new AlertRuleSettings(Over: Math.Min(100, free + 5)));
        var signal = _h.Evaluate(source).Should().ContainSingle().Subject;
        signal.Should().BeEquivalentTo(new { Rule = "disk", Subject = "disk:data", App = (string?)null, Severity = AlertSeverity.Critical });
        signal.Title.Should().StartWith("platform: disk of the data directory ").And.EndWith($"% free (threshold {AlertText.Number(Math.Min(100, free + 5))}%)");
        signal.Detail.Should().Contain($"on the filesystem of {_h.Dir}");

        _h.Set("disk", null, new AlertRuleSettings(Over: Math.Max(0, free - 5)));
        _h.Evaluate(source).Should().BeEmpty();
        _h.Set("disk", null, new AlertRuleSettings(Over: 100, Enabled: false));
        _h.Evaluate(source).Should().BeEmpty();
    }

    [Fact]
    public void The_databases_on_another_filesystem_are_checked_on_their_own()
    {
        if (_shm is null || DiskSpace.Of(_shm) is not { } shm || DiskSpace.Of(_h.Dir) is not { } data || shm.SizeBytes == data.SizeBytes)
        {
            return; // this machine has no second filesystem to put them on
        }
        File.WriteAllBytes(Path.Combine(_shm, "data"), new byte[1 << 20]); // an empty tmpfs is 100% free
        var source = new DiskSource(new DatabasesOptions { DataDir = _h.Dir, DatabasesDir = _shm });
        var dataFree = DiskSpace.Of(_h.Dir)!.Value.FreePercent;
        var shmFree = DiskSpace.Of(_shm)!.Value.FreePercent;

        _h.Set("disk", null, new AlertRuleSettings(Over: 100));
        _h.Evaluate(source).Select(s => s.Subject).Should().Equal("disk:data", "disk:databases");
        _h.Evaluate(source)[1].Title.Should().StartWith("platform: disk of the databases ");
        if (Math.Abs(dataFree - shmFree) < 2)
        {
            return;
        }
        _h.Set("disk", null, new AlertRuleSettings(Over: (Math.Min(dataFree, shmFree) + Math.Max(dataFree, shmFree)) / 2));
        _h.Evaluate(source).Select(s => s.Subject).Should().Equal(dataFree < shmFree ? "disk:data" : "disk:databases");
    }
}
