namespace Slipway.Runtime;

/// <summary>A time a log could not be written: how many lines it lost, between which times, and whether the disk was
/// full. Its notice is stored as the first line once writing works again, so a reader sees the gap where it is.</summary>
internal sealed class LogOutage(DateTimeOffset first, bool diskFull)
{
    private readonly DateTimeOffset _first = first;
    private DateTimeOffset _last = first;

    public long Lines { get; private set; }

    public void Add(int lines, DateTimeOffset last)
    {
        Lines += lines;
        if (last > _last)
        {
            _last = last;
        }
    }

    /// <summary>The "platform" warning stored before the first line written after the outage.</summary>
    public LogEntry Notice(DateTimeOffset at)
    {
        var lines = Lines == 1 ? "1 line" : $"{Lines:N0} lines";
        var why = diskFull ? "the disk holding Slipway's data directory was full" : "Slipway could not write them";
        return new LogEntry(at, "platform", $"{lines} of this log could not be stored from {UtcTime.Format(_first)} to {UtcTime.Format(_last)}: " +
            $"{why}. Lines are stored again from here.", Level: LogSeverity.Warn);
    }
}
