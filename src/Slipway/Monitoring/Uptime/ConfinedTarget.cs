using System.Net;
using System.Net.Sockets;

namespace Slipway.Monitoring.Uptime;

/// <summary>Where an app environment's own checks may connect: public addresses only. An admin of one app must not
/// learn through a check's status and timing what listens on this machine (the platform's ports, other apps', the
/// databases) or on its private network (a cloud's metadata address among them).</summary>
internal static class ConfinedTarget
{
    internal sealed class RefusedException(string message) : IOException(message);

    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(context.DnsEndPoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
        var allowed = addresses.Where(IsPublic).ToList();
        if (allowed.Count == 0 || allowed.Count != addresses.Length)
        {
            throw new RefusedException($"{context.DnsEndPoint.Host} is not a public address");
        }
        Socket? socket = new(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed.ToArray(), context.DnsEndPoint.Port, cancellationToken);
            var stream = new NetworkStream(socket, ownsSocket: true);
            socket = null; // the stream owns it now
            return stream;
        }
        finally
        {
            socket?.Dispose();
        }
    }

    /// <summary>False for loopback, unspecified, link-local, private (RFC 1918, fc00::/7), shared (100.64/10) and
    /// multicast addresses, IPv4 ones written as IPv6 included.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] is 0 or 10 or 127 || b[0] >= 224 || (b[0] == 169 && b[1] == 254) || (b[0] == 172 && b[1] is >= 16 and <= 31) ||
                (b[0] == 192 && b[1] == 168) || (b[0] == 100 && b[1] is >= 64 and <= 127));
        }
        var bytes = address.GetAddressBytes();
        return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || (bytes[0] & 0xfe) == 0xfc);
    }
}
