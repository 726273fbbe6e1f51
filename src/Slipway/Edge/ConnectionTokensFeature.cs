namespace Slipway.Edge;

/// <summary>The tokens of a request's own Connection header(s) as the client sent them, for the headers RFC 9110
/// 7.6.1 makes hop-by-hop. Kestrel keeps only "keep-alive", "close" or "upgrade" when one of them is listed beside
/// other names, so the request's headers cannot tell the forwarder to drop the others; ConnectionTokenCapture sets
/// this feature on every HTTP/1.1 connection to fill that gap.</summary>
internal interface IConnectionTokensFeature
{
    /// <summary>Call exactly once per request, before anything rewrites it, with IHttpRequestFeature.Method and
    /// .RawTarget as Kestrel parsed them. True, with every token of the request's Connection lines in order (e.g.
    /// "keep-alive", "X-Foo"), when Kestrel's Connection header lost names; false when it lost none (then use the
    /// request's Connection header as usual) or when the connection's tokens are no longer known.</summary>
    bool TryTake(string method, string rawTarget, out IReadOnlyList<string> tokens);
}

/// <summary>One connection's queue of request heads whose Connection tokens Kestrel lost, filled by
/// Http1RequestScanner as Kestrel reads the bytes and emptied by the request handler.</summary>
/// <remarks>Matching a handler's request to a scanned head: the scanner numbers every head it passes (the first
/// is 0) and records only the heads that need an entry, so the common request allocates nothing. Kestrel runs
/// an HTTP/1.1 connection's requests one after another and hands every head it accepts to the application (a
/// head it rejects ends the connection), so the n-th TryTake call is for head n. The head's method and target
/// are checked too: if the scanner and Kestrel ever disagree on framing, or a request skipped TryTake, the first
/// entry it reaches mismatches, and from then on nothing is answered rather than another request's tokens.
/// Recording every head's method and target instead would allocate for every request to verify what the count
/// already gives.</remarks>
internal sealed class ConnectionTokensFeature : IConnectionTokensFeature
{
    /// <summary>Heads with lost tokens scanned ahead of the handler (pipelining); more stops the scanner.</summary>
    public const int MaxPending = 64;

    private readonly Lock _lock = new();
    private Queue<Pending>? _pending;
    private long _taken;
    private volatile bool _abandoned;

    /// <summary>Set on a mismatch: the scanner stops at its next read.</summary>
    public bool Abandoned => _abandoned;

    public bool TryTake(string method, string rawTarget, out IReadOnlyList<string> tokens)
    {
        tokens = [];
        lock (_lock)
        {
            var sequence = _taken++;
            if (_pending is null || !_pending.TryPeek(out var next) || next.Sequence > sequence)
            {
                return false;
            }
            if (next.Sequence == sequence && next.Method == method && next.Target == rawTarget)
            {
                _pending.Dequeue();
                tokens = next.Tokens;
                return true;
            }
            _pending.Clear();
            _abandoned = true;
            return false;
        }
    }

    /// <summary>False when the entry cannot be kept (too many pending, or abandoned): the scanner then stops.</summary>
    internal bool Record(long sequence, string method, string target, string[] tokens)
    {
        lock (_lock)
        {
            _pending ??= new Queue<Pending>();
            if (_abandoned || _pending.Count >= MaxPending)
            {
                return false;
            }
            _pending.Enqueue(new Pending(sequence, method, target, tokens));
            return true;
        }
    }

    private readonly record struct Pending(long Sequence, string Method, string Target, string[] Tokens);
}
