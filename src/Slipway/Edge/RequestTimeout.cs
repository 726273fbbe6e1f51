namespace Slipway.Edge;

/// <summary>A response timeout that also ends when the client goes away, without allocating a linked
/// CancellationTokenSource per request: sources are pooled and reset (as YARP does), since a proxy creates one
/// for every request it forwards.</summary>
internal sealed class RequestTimeout : IDisposable
{
    private static readonly System.Collections.Concurrent.ConcurrentBag<RequestTimeout> Pool = [];
    private CancellationTokenSource _source = new();
    private CancellationTokenRegistration _client;
    private CancellationToken _clientToken;

    public CancellationToken Token => _source.Token;

    /// <summary>True when the time ran out (not the client).</summary>
    public bool TimedOut => _source.IsCancellationRequested && !_clientToken.IsCancellationRequested;

    public static RequestTimeout Start(TimeSpan timeout, CancellationToken client)
    {
        if (!Pool.TryTake(out var timer))
        {
            timer = new RequestTimeout();
        }
        timer._clientToken = client;
        timer._client = client.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), timer._source);
        timer._source.CancelAfter(timeout);
        return timer;
    }

    public void Dispose()
    {
        _client.Dispose();
        _clientToken = default;
        if (_source.TryReset())
        {
            Pool.Add(this);
        }
        else
        {
            _source.Dispose();
            _source = new CancellationTokenSource();
            Pool.Add(this);
        }
    }
}
