using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Slipway.Api;

/// <summary>Marks an endpoint (/metrics) that a scraper on this machine may call without credentials: a
/// connection from a loopback address to the TCP API port (`--api-port`; never the edge's forwarded requests, which
/// reach the API on another loopback listener) whose client socket belongs to a user that is not an app's user.
/// App processes run as their own users (slipway-APP, uids from <see cref="Sandbox.AppUsers.DefaultFirstUid"/>) and
/// reach loopback too: they must not read every app's request rates and routes. The client socket's owner is read
/// from /proc/net/tcp(6), the kernel's table of sockets; when it cannot be found the request needs a token.</summary>
internal sealed record LoopbackScraper
{
    public static bool Allows(HttpContext context)
    {
        var connection = context.Connection;
        var apiPort = context.RequestServices.GetRequiredService<ApiOptions>().ApiPort;
        if (apiPort is null || connection.LocalPort != apiPort || connection.RemoteIpAddress is not { } remote || !IPAddress.IsLoopback(remote))
        {
            return false;
        }
        return OwnerOf(connection.RemotePort, connection.LocalPort) is { } uid && uid < Sandbox.AppUsers.DefaultFirstUid;
    }

    /// <summary>The uid owning the TCP socket with local port <paramref name="clientPort"/> connected to remote
    /// port <paramref name="serverPort"/> (the client's end of our connection), from /proc/net/tcp and tcp6.</summary>
    public static int? OwnerOf(int clientPort, int serverPort)
    {
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(table);
            }
            catch (IOException)
            {
                continue;
            }
            if (Find(lines, clientPort, serverPort) is { } uid)
            {
                return uid;
            }
        }
        return null;
    }

    /// <summary>The uid column of the row whose local port is <paramref name="clientPort"/> and remote port
    /// <paramref name="serverPort"/> ("  1: 0100007F:A1B2 0100007F:1F90 01 ... uid timeout inode").</summary>
    public static int? Find(IEnumerable<string> lines, int clientPort, int serverPort)
    {
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 7 && PortOf(fields[1]) == clientPort && PortOf(fields[2]) == serverPort
                && int.TryParse(fields[7], NumberStyles.Integer, CultureInfo.InvariantCulture, out var uid))
            {
                return uid;
            }
        }
        return null;
    }

    private static int? PortOf(string address) =>
        address.LastIndexOf(':') is var colon and > 0
        && int.TryParse(address.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port) ? port : null;
}
