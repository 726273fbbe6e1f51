namespace Slipway.Runtime;

/// <summary>What one replica uses, from its cgroup: the numbers `status` shows and the metrics export.</summary>
/// <param name="MemoryBytes">Memory in use now (the kernel's count against the limit, page cache included).</param>
/// <param name="PeakBytes">The most since this process started.</param>
/// <param name="LimitBytes">Its memory limit; null when it has none.</param>
/// <param name="CpuPercent">CPU use since the previous look, in percent of one core (150: one and a half cores);
/// null until two looks a second apart.</param>
/// <param name="CpuSeconds">CPU time of this process tree since it started.</param>
/// <param name="OomKills">Times the OOM killer ended the replica, over its restarts.</param>
internal sealed record InstanceUsage(long? MemoryBytes, long? PeakBytes, long? LimitBytes, double? CpuPercent, double? CpuSeconds, int OomKills);
