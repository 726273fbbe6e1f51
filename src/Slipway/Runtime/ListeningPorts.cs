using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Slipway.Runtime;

/// <summary>Which TCP addresses a process group listens on, read from /proc (no tools, no privileges beyond seeing
/// the group's own /proc entries). Used to say why a health check cannot connect: "nothing listens on $PORT
/// (41234); the app listens on 3000", or "it listens on [::1]:41234 only". When /proc cannot tell (a process's
/// fd directory is not readable) it says nothing rather than "nothing listens".</summary>
internal static class ListeningPorts
{
    private const string ListenState = "0A";

    /// <summary>A listening socket: its local address and port, its inode (to match a process's fds) and the uid that
    /// opened it.</summary>
    public readonly record struct Listener(IPAddress Address, int Port, string Inode, int Uid = -1);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    /// <summary>The platform's own uid: what the servers it runs without another user open their sockets as.</summary>
    public static int PlatformUid => (int)GetEuid();

    /// <summary>Who holds a loopback port the platform is about to talk to. A port is chosen free and then released,
    /// so until the intended process binds it any local user may bind it first (apps run as other users, and
    /// nothing stops a bind): before trusting what answers there (with traffic, a health verdict or a password),
    /// the platform checks that the socket was opened by the uid it started. Reads /proc/net/tcp and tcp6.</summary>
    public static PortHolder HolderOf(int port, int expectedUid, IPAddress? dialed = null) =>
        ReadAll() is { } listeners ? HolderOf(listeners, port, expectedUid, dialed ?? IPAddress.Loopback) : PortHolder.Unknown;

    /// <summary><see cref="HolderOf(int, int, IPAddress?)"/> for known listeners (pure, for tests).</summary>
    public static PortHolder HolderOf(IEnumerable<Listener> listeners, int port, int expectedUid, IPAddress dialed)
    {
        var owners = listeners.Where(l => l.Port == port && Accepts(l.Address, dialed)).Select(l => l.Uid).Distinct().ToList();
        return owners.Count == 0 ? PortHolder.Nobody
            : owners.All(uid => uid == expectedUid) ? new PortHolder(PortHolderKind.Expected, expectedUid)
            : new PortHolder(PortHolderKind.Stranger, owners.First(uid => uid != expectedUid));
    }

    /// <summary>Every listening TCP socket of the machine; null when /proc/net/tcp cannot be read (then nothing can be
    /// said about any port). A missing tcp6 is a machine without IPv6.</summary>
    private static List<Listener>? ReadAll()
    {
        var listeners = new List<Listener>();
        foreach (var (table, ipv6) in (ReadOnlySpan<(string, bool)>)[("/proc/net/tcp", false), ("/proc/net/tcp6", true)])
        {
            try
            {
                listeners.AddRange(Parse(File.ReadAllText(table), ipv6));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (!ipv6)
                {
                    return null;
                }
            }
        }
        return listeners;
    }

    /// <summary>The sockets the processes of group <paramref name="processGroup"/> listen on; null when /proc
    /// cannot tell (no member found, or a member's fds not readable).</summary>
    public static IReadOnlyList<Listener>? Of(int processGroup)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        var members = 0;
        foreach (var pid in Members(processGroup))
        {
            members++;
            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
                {
                    if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                    {
                        inodes.Add(target[8..^1]);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read: what it listens on is unknown, so nothing can be said.
                return null;
            }
        }
        if (members == 0)
        {
            return null;
        }
        return ReadAll()?.Where(l => inodes.Contains(l.Inode)).OrderBy(l => l.Port).ToList();
    }

    /// <summary>Why a health check dialing <paramref name="dialed"/>:<paramref name="expected"/> cannot connect, as
    /// far as the group's listening sockets tell, or null when they do not explain it (or cannot be read).</summary>
    public static string? Explain(int processGroup, int expected, IPAddress? dialed = null) =>
        Explain(Of(processGroup), expected, dialed ?? IPAddress.Loopback);

    /// <summary><see cref="Explain(int, int, IPAddress?)"/> for known listeners (pure, for tests).</summary>
    public static string? Explain(IReadOnlyList<Listener>? listeners, int expected, IPAddress dialed)
    {
        if (listeners is null)
        {
            return null;
        }
        var onPort = listeners.Where(l => l.Port == expected).ToList();
        if (onPort.Any(l => Accepts(l.Address, dialed)))
        {
            return null;
        }
        if (onPort.Count > 0)
        {
            return $"the app listens on port {expected} ($PORT) only on {string.Join(", ", onPort.Select(l => Format(l.Address, l.Port)).Distinct())}, " +
                $"but the platform connects to {Format(dialed, expected)}: have it listen on the HOST environment variable ({dialed})";
        }
        var ports = listeners.Select(l => l.Port).Distinct().Order().ToList();
        return ports.Count == 0
            ? $"nothing listens on port {expected} ($PORT) yet, nor on any other port"
            : $"nothing listens on port {expected} ($PORT); the app listens on {string.Join(", ", ports)} instead: have it listen on the PORT environment variable";
    }

    /// <summary>The listening sockets of a /proc/net/tcp (or, with <paramref name="ipv6"/>, tcp6) table's text.</summary>
    public static IEnumerable<Listener> Parse(string table, bool ipv6)
    {
        foreach (var line in table.Split('\n').Skip(1))
        {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 10 || fields[3] != ListenState)
            {
                continue;
            }
            var colon = fields[1].LastIndexOf(':');
            if (colon > 0 && int.TryParse(fields[1][(colon + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port) &&
                Address(fields[1][..colon], ipv6) is { } address)
            {
                yield return new Listener(address, port, fields[9],
                    int.TryParse(fields[7], NumberStyles.None, CultureInfo.InvariantCulture, out var uid) ? uid : -1);
            }
        }
    }

    /// <summary>The kernel prints an address as 32-bit words in host byte order (little-endian here): 0100007F is
    /// 127.0.0.1.</summary>
    private static IPAddress? Address(string hex, bool ipv6)
    {
        if (hex.Length != (ipv6 ? 32 : 8))
        {
            return null;
        }
        var bytes = new byte[hex.Length / 2];
        for (var word = 0; word < bytes.Length / 4; word++)
        {
            for (var i = 0; i < 4; i++)
            {
                if (!byte.TryParse(hex.AsSpan(word * 8 + i * 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
                {
                    return null;
                }
                bytes[word * 4 + 3 - i] = b;
            }
        }
        return new IPAddress(bytes);
    }

    /// <summary>Whether a socket bound to <paramref name="bound"/> accepts a connection to <paramref name="dialed"/>:
    /// the same address, any address of its family, or :: (dual-stack, the default on Linux) for IPv4.</summary>
    private static bool Accepts(IPAddress bound, IPAddress dialed) =>
        bound.Equals(dialed) || bound.Equals(IPAddress.Any) && dialed.AddressFamily == bound.AddressFamily || bound.Equals(IPAddress.IPv6Any) ||
        bound.IsIPv4MappedToIPv6 && (bound.MapToIPv4().Equals(dialed) || bound.MapToIPv4().Equals(IPAddress.Any) && dialed.AddressFamily == AddressFamily.InterNetwork);

    private static string Format(IPAddress address, int port) => new IPEndPoint(address, port).ToString();

    private static IEnumerable<int> Members(int processGroup)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 2 && int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var group) && group == processGroup)
            {
                yield return pid;
            }
        }
    }
}

/// <summary>Nobody: no socket there accepts the platform's connections (yet); Unknown: /proc/net/tcp cannot be read.</summary>
internal enum PortHolderKind { Nobody, Expected, Stranger, Unknown }

/// <summary>Who listens on a port: nobody yet, the uid the platform started there, a stranger (its uid), or unknown.</summary>
internal readonly record struct PortHolder(PortHolderKind Kind, int Uid)
{
    public static readonly PortHolder Nobody = new(PortHolderKind.Nobody, -1);
    public static readonly PortHolder Unknown = new(PortHolderKind.Unknown, -1);

    /// <summary>What a user is told when a stranger holds the port.</summary>
    public string Describe(int port) =>
        $"port {port} is held by a process of another user (uid {Uid}), not by the process the platform started there; " +
        "it gets no traffic, health verdict or password. Another app (or a local user) bound it first: see `slipway ps` and `ss -ltnp 'sport = :" + port + "'`";
}
