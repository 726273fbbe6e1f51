using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Slipway.Edge.Tls;

/// <summary>Certificates for development names, signed by the platform's own root (<see cref="DevelopmentCa"/>), so
/// <c>https://shop.localhost:8443</c> validates once the root is trusted (<c>slipway ca trust</c>).
/// <code>
///   certs/_development/                 (a name no host can have)
///     root.pem, root-key.pem (0600)     the root: made once, 10 years
///     localhost/fullchain.pem, ...      localhost, 127.0.0.1, ::1: also no SNI and IP names
///     shop.localhost/...                one leaf per *.localhost name, made on its first handshake
///     _wildcard.localhost/...           *.localhost: served once the cap of leaves is reached
///
///   handshake(sni) ──cache hit, valid──▶ leaf                         (lock-free, no allocation)
///                  └─miss or due──lock──▶ on disk and signed by the root? load : issue + write ──▶ cache
/// </code>
/// A client that sends random names under .localhost cannot fill the disk: past <c>maxLeaves</c> names every new
/// one gets the <c>*.localhost</c> leaf. Leaves live 90 days and are issued again in their last 30; a root that
/// is missing, damaged or within 30 days of its end is made anew, with every leaf (the user must trust it again).</summary>
internal sealed partial class DevelopmentCertificates
{
    public const string DirectoryName = "_development";
    public const string RootFile = "root.pem";
    public const string RootKeyFile = "root-key.pem";
    public const string Localhost = "localhost";
    public const string AnyLocalhost = "*.localhost";
    public const int DefaultMaxLeaves = 1000;
    public static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    private readonly ILogger _logger;
    private readonly int _maxLeaves;
    private readonly Lock _issue = new();
    private readonly ConcurrentDictionary<string, CertificateEntry> _leaves = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, CertificateEntry>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly HashSet<string> _onDisk = new(StringComparer.Ordinal);
    private X509Certificate2? _root;
    private string _rootStamp = "";
    private bool _capLogged;

    public DevelopmentCertificates(string certsDir, ILogger logger, int maxLeaves = DefaultMaxLeaves)
    {
        Directory = Path.Combine(certsDir, DirectoryName);
        _logger = logger;
        _maxLeaves = maxLeaves;
        _lookup = _leaves.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string Directory { get; }

    public string RootPath => Path.Combine(Directory, RootFile);

    /// <summary>The root in use (its private key stays inside this class), or null before the first
    /// <see cref="Refresh"/> or when it could not be made.</summary>
    public X509Certificate2? Root => Volatile.Read(ref _root);

    /// <summary>How many leaves are on disk (localhost and *.localhost included).</summary>
    public int LeafCount
    {
        get
        {
            lock (_issue)
            {
                return _onDisk.Count;
            }
        }
    }

    public static bool NeedsRenewal(CertificateEntry entry, DateTimeOffset now) => entry.NotAfter - now < RenewBefore;

    /// <summary>Loads the root (making it when missing, damaged or ending) and returns the localhost leaf, the
    /// store's <see cref="CertificateSnapshot.Development"/>. Throws IOException when the disk refuses.</summary>
    public CertificateEntry Refresh(DateTimeOffset now)
    {
        lock (_issue)
        {
            var stamp = RootStamp();
            if (_root is null || stamp != _rootStamp || new DateTimeOffset(_root.NotAfter.ToUniversalTime()) - now < RenewBefore)
            {
                LoadOrCreateRoot(now);
            }
            return Leaf(Localhost, now);
        }
    }

    /// <summary>The leaf for a development server name (no SNI, an IP, localhost or a name under .localhost): from the
    /// cache when it is there and not due, else loaded or issued once. Null only when there is no root.</summary>
    public CertificateEntry? For(ReadOnlySpan<char> serverName, DateTimeOffset now)
    {
        serverName = serverName.Trim().TrimEnd('.');
        if (serverName.IsEmpty || IPAddress.TryParse(serverName, out _))
        {
            serverName = Localhost;
        }
        if (_lookup.TryGetValue(serverName, out var cached) && !NeedsRenewal(cached, now))
        {
            return cached;
        }
        lock (_issue)
        {
            if (_root is null)
            {
                return null;
            }
            var name = HostNames.Normalize(serverName.ToString());
            if (name is null || HostNames.IsWildcard(name) || !HostNames.IsDevelopment(name))
            {
                name = AnyLocalhost; // odd bytes in a name under .localhost: the catch-all leaf still answers
            }
            return Leaf(name, now);
        }
    }

    /// <summary>Under <see cref="_issue"/>.</summary>
    private CertificateEntry Leaf(string name, DateTimeOffset now)
    {
        if (_leaves.TryGetValue(name, out var cached) && !NeedsRenewal(cached, now))
        {
            return cached;
        }
        if (!_onDisk.Contains(name) && name is not (Localhost or AnyLocalhost) && _onDisk.Count(n => n is not (Localhost or AnyLocalhost)) >= _maxLeaves)
        {
            if (!_capLogged)
            {
                _capLogged = true;
                LogCapReached(_maxLeaves);
            }
            return Leaf(AnyLocalhost, now);
        }
        var directory = Path.Combine(Directory, HostNames.ToDirectoryName(name));
        var entry = (_onDisk.Contains(name) ? TryLoad(name, directory, now) : null) ?? Issue(name, directory, now);
        _leaves[name] = entry;
        return entry;
    }

    private CertificateEntry? TryLoad(string name, string directory, DateTimeOffset now)
    {
        try
        {
            var entry = PemCertificates.Load(name, File.ReadAllText(Path.Combine(directory, PemCertificates.ChainFile)),
                File.ReadAllText(Path.Combine(directory, PemCertificates.KeyFile)), now, CertificateSource.Development, directory);
            return DevelopmentCa.IssuedBy(entry.Certificate, _root!) && !NeedsRenewal(entry, now) ? entry : null;
        }
        catch (Exception e) when (e is UserException or IOException or UnauthorizedAccessException)
        {
            return null; // damaged, expired or from an earlier root: issued again
        }
    }

    private CertificateEntry Issue(string name, string directory, DateTimeOffset now)
    {
        IReadOnlyList<string> names = name == Localhost ? [Localhost, "127.0.0.1", "::1"] : [name];
        var (cert, key) = DevelopmentCa.IssueLeaf(_root!, names, now);
        var entry = PemCertificates.Load(name, cert, key, now, CertificateSource.Development, directory);
        try
        {
            CertificateFiles.Write(directory, cert, key);
            _onDisk.Add(name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Served from memory all the same; the next start issues it again.
            LogWriteFailed(name, e.Message);
        }
        LogIssued(name, entry.NotAfter);
        return entry;
    }

    private void LoadOrCreateRoot(DateTimeOffset now)
    {
        System.IO.Directory.CreateDirectory(Directory, CertificateFiles.PrivateDir);
        var keyPath = Path.Combine(Directory, RootKeyFile);
        X509Certificate2? root = null;
        if (File.Exists(RootPath) && File.Exists(keyPath))
        {
            try
            {
                root = DevelopmentCa.LoadRoot(File.ReadAllText(RootPath), File.ReadAllText(keyPath));
                if (new DateTimeOffset(root.NotAfter.ToUniversalTime()) - now < RenewBefore || now < new DateTimeOffset(root.NotBefore.ToUniversalTime()))
                {
                    root.Dispose();
                    root = null;
                }
            }
            catch (UserException e)
            {
                LogRootDamaged(e.Message);
            }
        }
        if (root is null)
        {
            var (cert, key) = DevelopmentCa.CreateRoot(now);
            // Key first: a reader never pairs a new certificate with an old key.
            CertificateFiles.WriteAtomically(keyPath, key, CertificateFiles.Private);
            CertificateFiles.WriteAtomically(RootPath, cert, CertificateFiles.Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            root = DevelopmentCa.LoadRoot(cert, key);
            foreach (var stale in System.IO.Directory.EnumerateDirectories(Directory))
            {
                System.IO.Directory.Delete(stale, recursive: true); // leaves of the previous root
            }
            var fingerprint = DevelopmentCa.Fingerprint(root);
            LogRootCreated(RootPath, fingerprint);
        }
        var previous = _root;
        Volatile.Write(ref _root, root);
        _rootStamp = RootStamp();
        _leaves.Clear();
        _onDisk.Clear();
        foreach (var directory in System.IO.Directory.EnumerateDirectories(Directory))
        {
            if (HostNames.FromDirectoryName(Path.GetFileName(directory)) is { } name && HostNames.IsDevelopment(name))
            {
                _onDisk.Add(name);
            }
        }
        previous?.Dispose();
    }

    private string RootStamp()
    {
        var cert = new FileInfo(RootPath);
        var key = new FileInfo(Path.Combine(Directory, RootKeyFile));
        return cert.Exists && key.Exists ? $"{cert.Length}@{cert.LastWriteTimeUtc.Ticks};{key.Length}@{key.LastWriteTimeUtc.Ticks}" : "-";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the development CA {Path} (SHA-256 {Fingerprint}); 'slipway ca trust' makes browsers and curl trust it")]
    private partial void LogRootCreated(string path, string fingerprint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The development CA could not be used and is made anew (trust the new one with 'slipway ca trust'): {Problem}")]
    private partial void LogRootDamaged(string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Issued the development certificate for {Host}, valid until {NotAfter}")]
    private partial void LogIssued(string host, DateTimeOffset notAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Development certificates: {Max} names already have their own; new names get the *.localhost certificate")]
    private partial void LogCapReached(int max);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The development certificate for {Host} could not be written (served from memory): {Problem}")]
    private partial void LogWriteFailed(string host, string problem);
}
