using System.Globalization;
using System.Text;

namespace Slipway.Sandbox;

/// <summary>The nft scripts of <see cref="PortFirewall"/>, one atomic transaction each. Pure, so tests check them
/// exactly. The table holds two sets the platform fills as instances start and stop, and two rules that read them:
///
///   instance_ports  { 41003, 41017, ... }                      every port an instance of any app listens on
///   owners          { 700000001 . 41003, 700000002 . 41017 }    which app user owns which of them
///
///   output: an app user's new connection (SYN) to an instance port of this machine it does not own → TCP reset
///   input:  a new connection to an instance port arriving on any interface but lo                → dropped
///
/// Only SYNs are matched, so replies and established traffic never are (a client's ephemeral port may equal an
/// instance port that is not listening); `fib daddr type local` keeps an app free to reach the same port number on
/// another machine. Family inet covers IPv4 and IPv6. Root (the edge, health probes) and the host's other users
/// are not app users and are not restricted.</summary>
internal sealed record PortFirewallRules(string Table)
{
    /// <summary>The app users' uids: from where <see cref="AppUsers"/> allocates them, 100 million of them.</summary>
    public const long FirstAppUid = AppUsers.DefaultFirstUid;

    public const long EndAppUid = 800_000_000;

    /// <summary>The kernel's limit on a table name (NFT_NAME_MAXLEN, 256, counts the terminating NUL).</summary>
    public const int MaxTableName = 255;

    private const string Prefix = "slipway_";

    /// <summary>The rules of the platform called <paramref name="ownerId"/>: its own table, so several platforms
    /// (tests) on one machine never touch each other's. The id is lower-cased, other characters than [a-z0-9_]
    /// become '_', and it is cut to the length nft allows.</summary>
    public static PortFirewallRules For(string ownerId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ownerId);
        var name = new StringBuilder(Prefix);
        foreach (var c in ownerId.ToLowerInvariant())
        {
            name.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '_');
        }
        return new PortFirewallRules(name.ToString(0, Math.Min(name.Length, MaxTableName)));
    }

    /// <summary>Deletes the table if it exists (declaring it first makes the delete valid when it does not) and makes
    /// it again, empty.</summary>
    public string Reset() =>
        $$"""
        table inet {{Table}}
        delete table inet {{Table}}
        table inet {{Table}} {
            set instance_ports {
                type inet_service
            }
            set owners {
                type uid . inet_service
            }
            chain output {
                type filter hook output priority filter; policy accept;
                meta skuid {{FirstAppUid}}-{{EndAppUid - 1}} tcp flags syn / syn,ack tcp dport @instance_ports fib daddr type local meta skuid . tcp dport != @owners reject with tcp reset
            }
            chain input {
                type filter hook input priority filter; policy accept;
                iifname != "lo" tcp flags syn / syn,ack tcp dport @instance_ports drop
            }
        }

        """;

    /// <summary>Adding an element that is there already is no error, so opening twice is harmless.</summary>
    public string Open(int port, int uid)
    {
        var (p, u) = Check(port, uid);
        return $$"""
            add element inet {{Table}} instance_ports { {{p}} }
            add element inet {{Table}} owners { {{u}} . {{p}} }

            """;
    }

    /// <summary>Deleting a missing element fails the whole script, so each is added first: closing what was never
    /// opened (or was reset since) is harmless.</summary>
    public string Close(int port, int uid)
    {
        var (p, u) = Check(port, uid);
        return $$"""
            add element inet {{Table}} instance_ports { {{p}} }
            delete element inet {{Table}} instance_ports { {{p}} }
            add element inet {{Table}} owners { {{u}} . {{p}} }
            delete element inet {{Table}} owners { {{u}} . {{p}} }

            """;
    }

    /// <summary>Deletes the table, whether or not it exists.</summary>
    public string Remove() =>
        $$"""
        table inet {{Table}}
        delete table inet {{Table}}

        """;

    /// <summary>One line for `slipway doctor`.</summary>
    public string Describe() =>
        $"nftables table inet {Table}: an app's user (uid {FirstAppUid}-{EndAppUid - 1}) connecting to another app's instance port " +
        "on this machine gets a TCP reset; instance ports take no connection from other machines (only over lo, through the edge)";

    private static (string Port, string Uid) Check(int port, int uid)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        ArgumentOutOfRangeException.ThrowIfNegative(uid);
        return (port.ToString(CultureInfo.InvariantCulture), uid.ToString(CultureInfo.InvariantCulture));
    }
}
