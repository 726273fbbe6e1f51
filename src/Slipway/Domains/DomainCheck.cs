using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Slipway.Domains;

/// <summary>Where a name points, seen from this machine, against the addresses of this machine's interfaces.</summary>
/// <param name="Verdict">here: one of its addresses is this machine's; elsewhere: none is, and this machine has a
/// public address (so the record is wrong); unknown: none is, but this machine has only private addresses (behind
/// NAT or a load balancer the name may still reach it); unresolved: no A/AAAA record.</param>
internal sealed record DomainCheckResult(string Host, IReadOnlyList<string> Addresses, IReadOnlyList<string> LocalAddresses, string Verdict, string Message);

internal static class DomainCheck
{
    public static async Task<DomainCheckResult> RunAsync(string host, CancellationToken cancellationToken,
        Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null, IReadOnlyList<IPAddress>? localAddresses = null)
    {
        resolve ??= Dns.GetHostAddressesAsync;
        var local = localAddresses ?? LocalAddresses();
        IPAddress[] addresses;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            addresses = await resolve(host, timeout.Token);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain)
        {
            return Result(host, [], local, "unresolved",
                $"{host} does not resolve ({e.SocketErrorCode}). Add an A record (and AAAA for IPv6) for {host} pointing at this machine's public " +
                $"address{PublicHint(local)}, then wait for DNS to update (minutes, up to the record's TTL).");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Result(host, [], local, "unresolved", $"Resolving {host} took over 10 s: this machine's DNS resolver is not answering. Check /etc/resolv.conf.");
        }
        var resolved = addresses.Select(Unmapped).Distinct().ToList();
        if (resolved.Count == 0)
        {
            return Result(host, [], local, "unresolved", $"{host} has no A or AAAA record. Add one pointing at this machine{PublicHint(local)}.");
        }
        var mine = resolved.Where(a => local.Contains(a)).ToList();
        if (mine.Count > 0)
        {
            return Result(host, resolved, local, "here",
                $"{host} points here ({string.Join(", ", mine)}). Ports 80 and 443 must be open to the internet for certificates and visitors.");
        }
        if (resolved.All(IsPrivate))
        {
            return Result(host, resolved, local, "elsewhere",
                $"{host} resolves to private address(es) {string.Join(", ", resolved)} that are not this machine's. A certificate authority cannot " +
                $"reach a private address: point the record at this machine's public address{PublicHint(local)}.");
        }
        if (local.Any(a => !IsPrivate(a) && !IPAddress.IsLoopback(a)))
        {
            return Result(host, resolved, local, "elsewhere",
                $"{host} resolves to {string.Join(", ", resolved)}, which is not this machine{PublicHint(local)}. Change its A/AAAA record, " +
                "or if a proxy or load balancer forwards ports 80 and 443 here, that is fine.");
        }
        return Result(host, resolved, local, "unknown",
            $"{host} resolves to {string.Join(", ", resolved)}. This machine has only private addresses, so whether that address reaches it " +
            "(through NAT or a load balancer forwarding ports 80 and 443) cannot be told from here: unknown. Certificates are issued once it does.");
    }

    public static IReadOnlyList<IPAddress> LocalAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .Where(i => i.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown)
                .SelectMany(i => i.GetIPProperties().UnicastAddresses.Select(u => Unmapped(u.Address)))
                .Distinct().ToList();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }

    /// <summary>RFC 1918, carrier-grade NAT, link-local, unique-local and loopback addresses: not reachable from the internet.</summary>
    public static bool IsPrivate(IPAddress address)
    {
        address = Unmapped(address);
        if (IPAddress.IsLoopback(address))
        {
            return true;
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] == 10 || (b[0] == 172 && b[1] >= 16 && b[1] <= 31) || (b[0] == 192 && b[1] == 168)
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) || (b[0] == 169 && b[1] == 254);
        }
        return address.IsIPv6LinkLocal || address.IsIPv6UniqueLocal || address.IsIPv6SiteLocal;
    }

    private static string PublicHint(IReadOnlyList<IPAddress> local)
    {
        var publicOnes = local.Where(a => !IsPrivate(a)).ToList();
        return publicOnes.Count > 0 ? $" ({string.Join(", ", publicOnes)})" : "";
    }

    private static IPAddress Unmapped(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;

    private static DomainCheckResult Result(string host, IReadOnlyList<IPAddress> addresses, IReadOnlyList<IPAddress> local, string verdict, string message) =>
        new(host, [.. addresses.Select(a => a.ToString())], [.. local.Where(a => !IPAddress.IsLoopback(a)).Select(a => a.ToString())], verdict, message);
}
