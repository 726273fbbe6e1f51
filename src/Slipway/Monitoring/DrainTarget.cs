namespace Slipway.Monitoring;

/// <summary>Where a drain's batches go: one implementation per protocol (<see cref="HttpDrainTarget"/>,
/// <see cref="SyslogDrainTarget"/>), driven by one <see cref="DrainSender"/> loop that owns batching, order and
/// retries. A target sends one batch at a time and reports how it went as a value.</summary>
internal abstract class DrainTarget(IEnumerable<string> secrets) : IAsyncDisposable
{
    private readonly string[] _secrets = secrets.Where(s => s.Length >= 4).Distinct().OrderByDescending(s => s.Length).ToArray();

    /// <summary>Whether the sender waits a moment for a fuller batch before sending (one HTTP request per batch);
    /// a syslog stream takes lines as they come.</summary>
    public abstract bool Lingers { get; }

    /// <summary>Delivers <paramref name="batch"/> (every line's <see cref="DrainLine.App"/> is known), whole or not at
    /// all as far as this side can tell. Throws only when <paramref name="cancellationToken"/> is cancelled.</summary>
    public abstract Task<DrainAttempt> SendAsync(IReadOnlyList<DrainLine> batch, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    /// <summary>An error text with every secret of the drain (its URL, credentials, header values) masked: what is
    /// recorded and logged must never carry one, whatever a library put in its message.</summary>
    protected string Scrub(string error)
    {
        foreach (var secret in _secrets)
        {
            error = error.Replace(secret, "***", StringComparison.Ordinal);
        }
        return error;
    }

    /// <summary>The parts of a URL that may be secret: the whole, its user info (as given and decoded), path and query.</summary>
    protected static IEnumerable<string> SecretsOf(Uri url) =>
        [url.OriginalString, url.AbsoluteUri, url.UserInfo, Uri.UnescapeDataString(url.UserInfo), url.PathAndQuery is "/" ? "" : url.PathAndQuery];
}
