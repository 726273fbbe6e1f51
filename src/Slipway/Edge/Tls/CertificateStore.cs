using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Slipway.Edge.Tls;

/// <summary>The certificates TLS termination serves, chosen per handshake by SNI.
/// <code>
///   certs/                                   (DATA/certs by default)
///     shop.example.com/fullchain.pem         leaf first, then intermediates
///     shop.example.com/privkey.pem           0600
///     _wildcard.example.com/...              serves *.example.com (one label)
///     _development/...                       the development CA and its leaves (DevelopmentCertificates)
///
///   files ──poll mtimes──▶ validate each host ──▶ immutable CertificateSnapshot ──swap──▶ Select(sni)
///   Install(host, pem, key) ──validate──▶ atomic write ──▶ reload now
/// </code>
/// Handshakes only read the current snapshot: no lock, no disk. A host whose files are bad is logged and
/// skipped (keeping its last good certificate while that is still valid); the others are unaffected. ACME
/// slots in as just another writer: an issuer calls <see cref="Install"/> (or writes the same files itself)
/// and the next reload serves the result.</summary>
internal sealed partial class CertificateStore : IDisposable
{
    private readonly TimeProvider _clock;
    private readonly ILogger<CertificateStore> _logger;
    private readonly Lock _reload = new();
    private readonly ITimer _timer;
    private volatile CertificateSnapshot _snapshot = CertificateSnapshot.Empty;
    private string _fingerprint = "";
    private int _polling;

    /// <param name="directory">Where certificates live (DATA/certs); created 0700 if missing.</param>
    /// <param name="pollInterval">How often file changes are looked for; 5 seconds by default.</param>
    /// <param name="developmentLeaves">How many *.localhost names get a leaf of their own (<see cref="DevelopmentCertificates"/>).</param>
    public CertificateStore(string directory, TimeProvider clock, ILogger<CertificateStore> logger, TimeSpan? pollInterval = null,
        int developmentLeaves = DevelopmentCertificates.DefaultMaxLeaves)
    {
        Directory = Path.GetFullPath(directory);
        _clock = clock;
        _logger = logger;
        System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        LocalCa = new DevelopmentCertificates(Directory, logger, developmentLeaves);
        Reload();
        var interval = pollInterval ?? TimeSpan.FromSeconds(5);
        _timer = clock.CreateTimer(_ => Poll(), null, interval, interval);
    }

    public string Directory { get; }

    /// <summary>What is served right now (for listing and diagnostics).</summary>
    public CertificateSnapshot Current => _snapshot;

    /// <summary>The development CA: its root, and the leaf for each *.localhost name.</summary>
    public DevelopmentCertificates LocalCa { get; }

    /// <summary>For Kestrel's <c>ServerCertificateSelector</c>: the certificate for an SNI name, or null when
    /// none covers it (the handshake then fails). Lock-free and allocation-free, except the first handshake for a
    /// development name, which issues its leaf.</summary>
    public X509Certificate2? Select(string? serverName) => Serve(serverName)?.Certificate;

    /// <summary>Like <see cref="Select"/>, with the intermediates from fullchain.pem, for
    /// <c>SslServerAuthenticationOptions.ServerCertificateContext</c> (sends the whole chain).</summary>
    public SslStreamCertificateContext? SelectContext(string? serverName) => Serve(serverName)?.Context;

    /// <summary>The entry that would serve a host (for deciding whether an app can be redirected to HTTPS). For a
    /// development name that is the localhost leaf: looking does not issue one.</summary>
    public CertificateEntry? Find(string host) => _snapshot.Find(host);

    private CertificateEntry? Serve(string? serverName)
    {
        var entry = _snapshot.Find(serverName);
        return entry is { Source: CertificateSource.Development } ? LocalCa.For(serverName, _clock.GetUtcNow()) ?? entry : entry;
    }

    /// <summary>Validates a certificate and key for a host and stores them as certs/HOST/fullchain.pem and
    /// privkey.pem (atomically, key 0600), then serves them at once. This is the seam for an ACME issuer.
    /// Throws <see cref="UserException"/> saying what is wrong (bad PEM, key mismatch, expired, wrong host).</summary>
    public CertificateEntry Install(string host, string certPem, string keyPem)
    {
        var name = HostNames.Normalize(host)
            ?? throw new UserException($"'{host}' is not a host name. Give a name like shop.example.com, or *.example.com for a wildcard certificate.");
        var directory = Path.Combine(Directory, HostNames.ToDirectoryName(name));
        // Validate before touching the disk: a bad pair never replaces a good one.
        PemCertificates.Load(name, certPem, keyPem, _clock.GetUtcNow(), CertificateSource.File, directory).Certificate.Dispose();
        lock (_reload)
        {
            CertificateFiles.Write(directory, certPem, keyPem);
            Rebuild();
            return _snapshot.Entries.First(e => e.Host == name);
        }
    }

    /// <summary>Removes a host's files and stops serving it. False when there was nothing to remove.</summary>
    public bool Remove(string host)
    {
        var name = HostNames.Normalize(host);
        var directory = name is null ? null : Path.Combine(Directory, HostNames.ToDirectoryName(name));
        if (directory is null || !System.IO.Directory.Exists(directory))
        {
            return false;
        }
        lock (_reload)
        {
            System.IO.Directory.Delete(directory, recursive: true);
            Rebuild();
        }
        return true;
    }

    /// <summary>Reads every host directory now and swaps in the result.</summary>
    public void Reload()
    {
        lock (_reload)
        {
            Rebuild();
        }
    }

    private void Poll()
    {
        if (Interlocked.Exchange(ref _polling, 1) == 1)
        {
            return;
        }
        try
        {
            lock (_reload)
            {
                var current = _snapshot;
                var now = _clock.GetUtcNow();
                if (Fingerprint() != _fingerprint || current.Development is null || DevelopmentCertificates.NeedsRenewal(current.Development, now)
                    || current.Entries.Any(e => now >= e.NotAfter))
                {
                    Rebuild();
                }
            }
        }
        catch (Exception e)
        {
            LogReloadFailed(e);
        }
        finally
        {
            Volatile.Write(ref _polling, 0);
        }
    }

    private void Rebuild()
    {
        // Taken before any file is read: a file written while this runs (privkey.pem after fullchain.pem, as certbot
        // or cp writes them) changes what the next poll sees, so a pair caught half-written is read again.
        var fingerprint = Fingerprint();
        var now = _clock.GetUtcNow();
        var previous = _snapshot;
        var entries = new List<CertificateEntry>();
        var problems = new List<CertificateProblem>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (host, directory) in HostDirectories())
        {
            if (!seen.Add(host))
            {
                problems.Add(new CertificateProblem(host, directory, $"{directory} is a second directory for {host} (names differ only in case). Remove one of them."));
                continue;
            }
            try
            {
                var certPath = Path.Combine(directory, PemCertificates.ChainFile);
                var keyPath = Path.Combine(directory, PemCertificates.KeyFile);
                var stamp = Stamp(directory);
                if (previous.Entries.FirstOrDefault(p => p.Host == host) is { } unchanged && unchanged.Stamp == stamp && now < unchanged.NotAfter)
                {
                    entries.Add(unchanged); // same files: no need to parse and build the chain again
                    continue;
                }
                if (!File.Exists(certPath) || !File.Exists(keyPath))
                {
                    throw new UserException($"{directory} needs both {PemCertificates.ChainFile} and {PemCertificates.KeyFile}. " +
                        $"Add the missing file, or remove the directory ('slipway certs rm {host}').");
                }
                entries.Add(PemCertificates.Load(host, File.ReadAllText(certPath), File.ReadAllText(keyPath), now, CertificateSource.File, directory) with { Stamp = stamp });
            }
            catch (Exception e) when (e is UserException or IOException or UnauthorizedAccessException)
            {
                problems.Add(new CertificateProblem(host, directory, e.Message));
                var lastGood = previous.Entries.FirstOrDefault(p => p.Host == host);
                var kept = lastGood is not null && now < lastGood.NotAfter;
                if (kept)
                {
                    entries.Add(lastGood!);
                }
                LogBadHost(host, e.Message, kept);
            }
        }
        var development = LoadDevelopment(now, previous.Development);
        entries.Sort((a, b) => string.CompareOrdinal(a.Host, b.Host));
        _snapshot = new CertificateSnapshot(entries, development, problems);
        _fingerprint = fingerprint;
        LogLoaded(entries.Count, problems.Count);
    }

    private CertificateEntry? LoadDevelopment(DateTimeOffset now, CertificateEntry? previous)
    {
        try
        {
            return LocalCa.Refresh(now);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or UserException)
        {
            LogDevelopmentFailed(e.Message);
            return previous;
        }
    }

    private IEnumerable<(string Host, string Directory)> HostDirectories()
    {
        foreach (var directory in System.IO.Directory.EnumerateDirectories(Directory).Order(StringComparer.Ordinal))
        {
            if (HostNames.FromDirectoryName(Path.GetFileName(directory)) is { } host)
            {
                yield return (host, directory);
            }
        }
    }

    /// <summary>Names, sizes and mtimes of every certificate file: cheap to compute on each poll, and it
    /// changes whenever a file is written, replaced by rename, or removed.</summary>
    private string Fingerprint()
    {
        var text = new StringBuilder();
        foreach (var directory in System.IO.Directory.EnumerateDirectories(Directory).Order(StringComparer.Ordinal))
        {
            text.Append(directory).Append(' ').Append(Stamp(directory)).Append('\n');
        }
        // The development root: replaced on disk (restored from a backup), it is loaded again.
        foreach (var file in new[] { DevelopmentCertificates.RootFile, DevelopmentCertificates.RootKeyFile })
        {
            var info = new FileInfo(Path.Combine(LocalCa.Directory, file));
            text.Append(info.Exists ? $"{info.Length}@{info.LastWriteTimeUtc.Ticks};" : "-;");
        }
        return text.ToString();
    }

    private static string Stamp(string directory)
    {
        var text = new StringBuilder();
        foreach (var file in new[] { PemCertificates.ChainFile, PemCertificates.KeyFile })
        {
            var info = new FileInfo(Path.Combine(directory, file));
            text.Append(info.Exists ? $"{info.Length}@{info.LastWriteTimeUtc.Ticks};" : "-;");
        }
        return text.ToString();
    }

    public void Dispose() => _timer.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "TLS certificate for {Host} not loaded: {Problem} (kept the last good one: {Kept})")]
    private partial void LogBadHost(string host, string problem, bool kept);

    [LoggerMessage(Level = LogLevel.Information, Message = "TLS certificates loaded: {Count} host(s), {Problems} problem(s)")]
    private partial void LogLoaded(int count, int problems);

    [LoggerMessage(Level = LogLevel.Error, Message = "The development CA could not be loaded or created: {Problem}")]
    private partial void LogDevelopmentFailed(string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reloading TLS certificates failed")]
    private partial void LogReloadFailed(Exception exception);
}
