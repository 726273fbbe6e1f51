namespace Slipway.Runtime;

/// <summary>Where the router reaches one instance, and the live counters it keeps for it. One object per
/// instance for its whole life, shared by every routing table that includes it, so in-flight counts survive
/// table swaps (that is what draining waits on).</summary>
internal sealed class InstanceEndpoint(string instanceId, int port)
{
    private int _inFlight;
    private long _requests;
    private volatile bool _healthy;

    public string InstanceId { get; } = instanceId;
    public int Port { get; } = port;
    public Uri BaseUri { get; } = new($"http://127.0.0.1:{port}");

    /// <summary>Taking requests: health probe passed and the process has not exited since.</summary>
    public bool Healthy { get => _healthy; set => _healthy = value; }

    public int InFlight => Volatile.Read(ref _inFlight);
    public long Requests => Interlocked.Read(ref _requests);

    public void Enter()
    {
        Interlocked.Increment(ref _inFlight);
        Interlocked.Increment(ref _requests);
    }

    public void Leave() => Interlocked.Decrement(ref _inFlight);
}
