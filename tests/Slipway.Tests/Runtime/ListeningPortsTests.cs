using System.Net;
using Slipway.Runtime;

namespace Slipway.Tests.Runtime;

public sealed class ListeningPortsTests
{
    private const string Tcp = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0000000000000000 100 0 0 10 0
           1: 00000000:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 222 1 0000000000000000 100 0 0 10 0
           2: 0100007F:A1B2 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 333 1 0000000000000000 20 4 30 10 -1
        """;

    private const string Tcp6 = """
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 444 1 0000000000000000 100 0 0 10 0
           1: 00000000000000000000000000000000:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 555 1 0000000000000000 100 0 0 10 0
        """;

    [Fact]
    public void Tcp_and_tcp6_tables_give_each_listening_sockets_address_port_and_inode()
    {
        ListeningPorts.Parse(Tcp, ipv6: false).Should().Equal(
            new ListeningPorts.Listener(IPAddress.Loopback, 8080, "111", 1000),
            new ListeningPorts.Listener(IPAddress.Any, 3000, "222", 1000));
        ListeningPorts.Parse(Tcp6, ipv6: true).Should().Equal(
            new ListeningPorts.Listener(IPAddress.IPv6Loopback, 8081, "444", 1000),
            new ListeningPorts.Listener(IPAddress.IPv6Any, 8082, "555", 1000));
    }

    [Fact]
    public void The_explanation_names_another_port_or_another_address_and_says_nothing_when_proc_cannot_tell()
    {
        var listeners = ListeningPorts.Parse(Tcp, false).Concat(ListeningPorts.Parse(Tcp6, true)).ToList();
        var loopback = IPAddress.Loopback;

        ListeningPorts.Explain(listeners, 8080, loopback).Should().BeNull("it listens where the platform connects");
        ListeningPorts.Explain(listeners, 3000, loopback).Should().BeNull("0.0.0.0 accepts 127.0.0.1");
        ListeningPorts.Explain(listeners, 8082, loopback).Should().BeNull(":: is dual-stack");
        ListeningPorts.Explain(listeners, 8081, loopback).Should()
            .Be("the app listens on port 8081 ($PORT) only on [::1]:8081, but the platform connects to 127.0.0.1:8081: have it listen on the HOST environment variable (127.0.0.1)");
        ListeningPorts.Explain(listeners.Take(1).ToList(), 41234, loopback).Should()
            .Be("nothing listens on port 41234 ($PORT); the app listens on 8080 instead: have it listen on the PORT environment variable");
        ListeningPorts.Explain([], 41234, loopback).Should().Be("nothing listens on port 41234 ($PORT) yet, nor on any other port");
        ListeningPorts.Explain(null, 41234, loopback).Should().BeNull("unreadable /proc says nothing, not \"nothing listens\"");
    }

    [Fact]
    public void A_port_is_held_by_the_expected_user_only_when_every_socket_that_accepts_loopback_there_is_its_own()
    {
        var loopback = IPAddress.Loopback;
        ListeningPorts.Listener[] own = [new(IPAddress.Loopback, 8080, "1", 700_000_001)];
        ListeningPorts.HolderOf(own, 8080, 700_000_001, loopback).Kind.Should().Be(PortHolderKind.Expected);
        ListeningPorts.HolderOf(own, 8081, 700_000_001, loopback).Should().Be(PortHolder.Nobody);

        var squatted = ListeningPorts.HolderOf([new(IPAddress.IPv6Any, 8080, "2", 700_000_002)], 8080, 700_000_001, loopback);
        squatted.Should().Be(new PortHolder(PortHolderKind.Stranger, 700_000_002), ":: accepts 127.0.0.1, so a dual-stack squatter counts");
        squatted.Describe(8080).Should().StartWith("port 8080 is held by a process of another user (uid 700000002)");

        var mappedAny = ListeningPorts.Parse("""
              sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0000000000000000FFFF000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 700000002        0 9 1 0 100 0 0 10 0
            """, ipv6: true).ToList();
        mappedAny.Single().Address.Should().Be(IPAddress.Parse("::ffff:0.0.0.0"));
        ListeningPorts.HolderOf(mappedAny, 8080, 700_000_001, loopback).Kind.Should().Be(PortHolderKind.Stranger, "::ffff:0.0.0.0 takes every IPv4 connection");

        ListeningPorts.HolderOf([new(IPAddress.IPv6Loopback, 8080, "3", 700_000_002), .. own], 8080, 700_000_001, loopback).Kind
            .Should().Be(PortHolderKind.Expected, "a socket on ::1 does not get the platform's 127.0.0.1 connections");
        ListeningPorts.HolderOf([new(IPAddress.Any, 8080, "4", 0), .. own], 8080, 700_000_001, loopback).Kind
            .Should().Be(PortHolderKind.Stranger, "any other owner among the sockets there is one too many");
    }
}
