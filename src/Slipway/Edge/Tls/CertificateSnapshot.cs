using System.Collections.Frozen;

namespace Slipway.Edge.Tls;

/// <summary>Every certificate the edge can serve at one moment, immutable so handshakes read it without locks.
/// The store builds a new one when files change and swaps it in whole.</summary>
internal sealed class CertificateSnapshot
{
    private readonly FrozenDictionary<string, CertificateEntry>.AlternateLookup<ReadOnlySpan<char>> _exact;
    private readonly FrozenDictionary<string, CertificateEntry>.AlternateLookup<ReadOnlySpan<char>> _wildcards;

    public CertificateSnapshot(IReadOnlyList<CertificateEntry> entries, CertificateEntry? development, IReadOnlyList<CertificateProblem> problems)
    {
        Entries = entries;
        Development = development;
        Problems = problems;
        _exact = entries.Where(e => !HostNames.IsWildcard(e.Host))
            .ToFrozenDictionary(e => e.Host, StringComparer.OrdinalIgnoreCase)
            .GetAlternateLookup<ReadOnlySpan<char>>();
        // Keyed by the part after "*." so a lookup is one slice of the server name, no allocation.
        _wildcards = entries.Where(e => HostNames.IsWildcard(e.Host))
            .ToFrozenDictionary(e => e.Host[2..], StringComparer.OrdinalIgnoreCase)
            .GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public static CertificateSnapshot Empty { get; } = new([], null, []);

    /// <summary>Certificates from files, one per host directory, sorted by host.</summary>
    public IReadOnlyList<CertificateEntry> Entries { get; }

    public CertificateEntry? Development { get; }

    /// <summary>Host directories that could not be loaded (and are not served, unless their last good
    /// certificate is kept; see <see cref="CertificateStore"/>).</summary>
    public IReadOnlyList<CertificateProblem> Problems { get; }

    /// <summary>The certificate for a TLS server name: an exact host, else a wildcard one label up, else the
    /// development certificate for localhost names, no name or an IP; null when nothing covers it.</summary>
    public CertificateEntry? Find(ReadOnlySpan<char> serverName)
    {
        serverName = serverName.Trim().TrimEnd('.');
        if (serverName.IsEmpty)
        {
            return Development;
        }
        if (_exact.TryGetValue(serverName, out var exact))
        {
            return exact;
        }
        var dot = serverName.IndexOf('.');
        if (dot > 0 && _wildcards.TryGetValue(serverName[(dot + 1)..], out var wildcard))
        {
            return wildcard;
        }
        return HostNames.IsDevelopment(serverName) ? Development : null;
    }
}
