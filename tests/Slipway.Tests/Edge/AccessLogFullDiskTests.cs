using Slipway.Edge;
using Slipway.Runtime;
using Slipway.Tests.Support;

namespace Slipway.Tests.Edge;

/// <summary>The access log's writer on a disk that really fills up (a small tmpfs): it drops what the disk refuses and
/// goes on writing once space returns (before, the first failed write ended the writer for good).</summary>
public sealed class AccessLogFullDiskTests : IDisposable
{
    private readonly SmallDisk _disk = SmallDisk.Mount("accessfull");

    public void Dispose() => _disk.Dispose();

    [Fact]
    public async Task The_access_log_goes_on_writing_after_the_disk_was_full()
    {
        var logs = new LogStore(Path.Combine(_disk.Dir, "logs"));
        var key = LogKeys.Access("shop");
        await using var access = new AccessLog(logs);
        access.Write("shop", "web", DateTimeOffset.UtcNow, Request("/before"));
        await Until(() => logs.Read(key).Count == 1);

        _disk.Fill();
        for (var i = 0; i < 200; i++)
        {
            access.Write("shop", "web", DateTimeOffset.UtcNow, Request($"/during/{i}"));
        }
        // The segment's last page may take the first of them; the rest are refused.
        int Stored(string path) => logs.Read(key).Count(e => e.Message.Contains("path=" + path, StringComparison.Ordinal));
        await Until(() => logs.DroppedLines(key) + Stored("/during/") == 200);
        var dropped = logs.DroppedLines(key);
        dropped.Should().BeGreaterThan(150);

        _disk.Free();
        access.Write("shop", "web", DateTimeOffset.UtcNow, Request("/after"));
        await Until(() => logs.Read(key).Any(e => e.Message.Contains("path=/after", StringComparison.Ordinal)));

        var stored = logs.Read(key);
        stored.Should().HaveCount(3 + 200 - (int)dropped);
        stored[0].Message.Should().Contain("path=/before");
        stored[^2].Should().Match<LogEntry>(e => e.Kind == "platform" && e.Message.StartsWith($"{dropped} lines of this log could not be stored", StringComparison.Ordinal));
        stored[^1].Message.Should().Contain("path=/after");
    }

    private static AccessEntry Request(string path) => new("r-" + path, "GET", path, 200, 1.5, "127.0.0.1", "/", "HTTP/1.1");

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the access log's writer should have got there within 10 s");
            await Task.Delay(50);
        }
    }
}
