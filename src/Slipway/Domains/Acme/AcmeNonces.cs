namespace Slipway.Domains.Acme;

/// <summary>Replay-Nonce values the CA handed out and no request has used yet (RFC 8555 §7.2). Every answer carries a
/// fresh one, so a client that keeps them rarely needs a newNonce round trip. Each nonce is used at most once.</summary>
internal sealed class AcmeNonces
{
    private const int Kept = 16;

    private readonly Lock _gate = new();
    private readonly LinkedList<string> _nonces = new();

    public void Add(string nonce)
    {
        lock (_gate)
        {
            _nonces.AddLast(nonce);
            if (_nonces.Count > Kept)
            {
                _nonces.RemoveFirst();
            }
        }
    }

    /// <summary>The newest nonce (the least likely to have expired), or null when none is left.</summary>
    public string? Take()
    {
        lock (_gate)
        {
            if (_nonces.Last is not { } last)
            {
                return null;
            }
            _nonces.RemoveLast();
            return last.Value;
        }
    }
}
