using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Slipway.Api;

/// <summary>Marks an endpoint (/metrics) that a scraper on this machine may call without credentials: a
/// connection from a loopback address to the TCP API port (`--api-port`; never the edge's forwarded requests, which
/// reach the API on another loopback listener) whose client socket belongs to neither an app's user nor this
/// platform process.
///
/// App processes run as their own users (slipway-APP, uids from <see cref="Sandbox.AppUsers.DefaultFirstUid"/>) and
/// reach loopback too: they must not read every app's request rates and routes. And the platform's own outgoing
/// connections (the edge forwarding a rewrite an app declared towards 127.0.0.1) must not be a way around that (found
/// by the review). The client socket is looked up in the kernel's table (/proc/net/tcp and tcp6) by the whole
/// connection, both addresses and ports, in state ESTABLISHED, and must be the only such row; its inode must not be one
/// of this process's file descriptors. Anything else, and more than <see cref="ChecksPerSecond"/> anonymous tries a
/// second, needs a token.</summary>
internal sealed record LoopbackScraper
{
    public const int ChecksPerSecond = 20;
    private static long s_window;
    private static int s_checks;

    public static bool Allows(HttpContext context)
    {
        var connection = context.Connection;
        var apiPort = context.RequestServices.GetRequiredService<ApiOptions>().ApiPort;
        if (apiPort is null || connection.LocalPort != apiPort || connection.RemoteIpAddress is not { } remote || !IPAddress.IsLoopback(remote)
            || connection.LocalIpAddress is not { } local || !Admitted())
        {
            return false;
        }
        return ClientSocket(remote, connection.RemotePort, local, connection.LocalPort) is { } socket
            && socket.Uid < Sandbox.AppUsers.DefaultFirstUid
            && !OwnSockets().Contains(socket.Inode);
    }

    /// <summary>At most <see cref="ChecksPerSecond"/> table reads a second for callers without a token.</summary>
    private static bool Admitted()
    {
        var second = Environment.TickCount64 / 1000;
        if (Interlocked.Exchange(ref s_window, second) != second)
        {
            Interlocked.Exchange(ref s_checks, 0);
        }
        return Interlocked.Increment(ref s_checks) <= ChecksPerSecond;
    }

    /// <summary>The owner and inode of the client's end of the connection client → server, from /proc/net/tcp(6).</summary>
    public static (int Uid, long Inode)? ClientSocket(IPAddress client, int clientPort, IPAddress server, int serverPort)
    {
        var table = client.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !client.IsIPv4MappedToIPv6 ? "/proc/net/tcp6" : "/proc/net/tcp";
        try
        {
            return Find(File.ReadLines(table), Hex(client), clientPort, Hex(server), serverPort);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The uid and inode of the one ESTABLISHED row whose local end is client:port and remote end server:port
    /// ("  1: 0100007F:C350 0100007F:1F90 01 ... uid timeout inode"); null when there is none or more than one.</summary>
    public static (int Uid, long Inode)? Find(IEnumerable<string> lines, string clientHex, int clientPort, string serverHex, int serverPort)
    {
        (int, long)? found = null;
        var local = $"{clientHex}:{clientPort:X4}";
        var remote = $"{serverHex}:{serverPort:X4}";
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 9 && fields[3] == "01"
                && string.Equals(fields[1], local, StringComparison.OrdinalIgnoreCase) && string.Equals(fields[2], remote, StringComparison.OrdinalIgnoreCase)
                && int.TryParse(fields[7], NumberStyles.Integer, CultureInfo.InvariantCulture, out var uid)
                && long.TryParse(fields[9], NumberStyles.Integer, CultureInfo.InvariantCulture, out var inode))
            {
                if (found is not null)
                {
                    return null;
                }
                found = (uid, inode);
            }
        }
        return found;
    }

    /// <summary>An address as the kernel's table spells it: each 32-bit word in host (little-endian) byte order.</summary>
    public static string Hex(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        var bytes = address.GetAddressBytes();
        var text = new System.Text.StringBuilder(bytes.Length * 2);
        for (var word = 0; word < bytes.Length; word += 4)
        {
            for (var i = 3; i >= 0; i--)
            {
                text.Append(bytes[word + i].ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return text.ToString();
    }

    /// <summary>Inodes of the sockets this process holds open.</summary>
    private static HashSet<long> OwnSockets()
    {
        var inodes = new HashSet<long>();
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
            {
                try
                {
                    if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal)
                        && long.TryParse(target.AsSpan(8, target.Length - 9), NumberStyles.Integer, CultureInfo.InvariantCulture, out var inode))
                    {
                        inodes.Add(inode);
                    }
                }
                catch (IOException)
                {
                    // Closed while we listed.
                }
            }
        }
        catch (IOException)
        {
            inodes.Add(-1);
        }
        return inodes;
    }
}
