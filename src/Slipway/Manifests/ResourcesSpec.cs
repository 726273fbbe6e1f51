namespace Slipway.Manifests;

/// <summary>What one instance of a service may use ("resources"); null where the platform's default applies
/// (1 GiB of memory, 1024 processes and threads, no CPU ceiling).</summary>
/// <param name="MemoryBytes">"memory": past it the kernel's OOM killer ends the instance, which restarts.</param>
/// <param name="Cpus">"cpu": the most CPU time, in cores (0.5 is half of one).</param>
/// <param name="Pids">"pids": the most processes and threads (a fork bomb stops there).</param>
internal sealed record ResourcesSpec(long? MemoryBytes = null, double? Cpus = null, int? Pids = null)
{
    public static readonly ResourcesSpec Defaults = new();
}
