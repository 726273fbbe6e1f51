using System.Net;
using Microsoft.AspNetCore.Http;

namespace Slipway.Edge;

/// <summary>Which peers may tell the edge who the client is. A request from anyone else gets its
/// X-Forwarded-* headers replaced, so an app that trusts X-Forwarded-For (for rate limits, audit logs) cannot
/// be fooled by a client that sends its own.</summary>
internal sealed class TrustedProxies(IReadOnlyList<IPNetwork> networks)
{
    public static readonly TrustedProxies None = new([]);

    /// <summary>Parses "10.0.0.0/8" or "192.168.1.5" entries; throws a user error naming a bad one.</summary>
    public static TrustedProxies Parse(IEnumerable<string> entries)
    {
        var networks = new List<IPNetwork>();
        foreach (var entry in entries)
        {
            if (IPNetwork.TryParse(entry, out var network))
            {
                networks.Add(network);
            }
            else if (IPAddress.TryParse(entry, out var address))
            {
                networks.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                throw new UserException($"--trusted-proxy \"{entry}\" is not an IP address or network; use a form like 10.0.0.0/8 or 192.168.1.5.");
            }
        }
        return new TrustedProxies(networks);
    }

    public bool IsTrusted(IPAddress? address)
    {
        if (address is null || networks.Count == 0)
        {
            return false;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        foreach (var network in networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The client's address: the peer, or, when the peer is a trusted proxy, the nearest address in
    /// X-Forwarded-For that is not one of ours.</summary>
    public string ClientAddress(HttpContext context)
    {
        var peer = context.Connection.RemoteIpAddress;
        if (!IsTrusted(peer))
        {
            return Format(peer);
        }
        var forwarded = context.Request.Headers["X-Forwarded-For"].ToString();
        var hops = forwarded.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        for (var i = hops.Length - 1; i >= 0; i--)
        {
            if (!IPAddress.TryParse(hops[i], out var hop))
            {
                break;
            }
            if (!IsTrusted(hop))
            {
                return Format(hop);
            }
        }
        return Format(peer);
    }

    public static string Format(IPAddress? address) => address switch
    {
        null => "unknown",
        { IsIPv4MappedToIPv6: true } => address.MapToIPv4().ToString(),
        _ => address.ToString(),
    };
}
