using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Slipway.Sandbox;

using Slipway.Tests.Support;

namespace Slipway.Tests.Sandbox;

/// <summary>The real rules in the real kernel: connections made as other users (setpriv) over loopback, and from
/// another machine (a network namespace behind a veth pair). Each test has a table of its own and removes it.</summary>
public sealed class PortFirewallTests : IAsyncLifetime
{
    // Near the end of the app range, far from the uids a platform on this machine allocates first.
    private const int UidA = 799_999_001;
    private const int UidB = 799_999_002;

    private readonly RecordingLogger<PortFirewall> _log = new();
    private readonly PortFirewall _firewall;

    public PortFirewallTests() =>
        _firewall = new PortFirewall("test_" + Guid.NewGuid().ToString("N")[..10], FirewallFactAttribute.Nft ?? "nft", _log);

    public async Task InitializeAsync()
    {
        if (FirewallFactAttribute.Reason is null)
        {
            (await _firewall.ResetAsync()).Should().BeTrue(_log.Text);
        }
    }

    public async Task DisposeAsync()
    {
        if (FirewallFactAttribute.Reason is null)
        {
            await _firewall.RemoveAsync();
        }
    }

    [FirewallFact]
    public async Task An_app_user_is_refused_at_once_on_another_apps_port_and_nobody_else_is()
    {
        using var listener = Listen(IPAddress.IPv6Any);
        var port = Port(listener);

        (await _firewall.OpenAsync(port, UidB)).Should().BeTrue(_log.Text);

        var refused = await ConnectAsync(UidA, "127.0.0.1", port);
        refused.Code.Should().Be(1, "the connection is refused: {0}", refused.Error);
        refused.Error.Should().Contain("Connection refused");
        refused.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(1), "a TCP reset fails the client at once, not after a timeout");
        (await ConnectAsync(UidA, "::1", port)).Error.Should().Contain("Connection refused", "IPv6 loopback is covered too");

        (await ConnectAsync(UidB, "127.0.0.1", port)).Code.Should().Be(0, "the owner reaches its own port");
        (await ConnectAsync(UidB, "::1", port)).Code.Should().Be(0);
        (await ConnectAsync(0, "127.0.0.1", port)).Code.Should().Be(0, "root (the edge, health probes) is not an app user");
        (await ConnectAsync(65534, "127.0.0.1", port)).Code.Should().Be(0, "nor are the host's other users");

        using var other = Listen(IPAddress.Loopback);
        (await ConnectAsync(UidA, "127.0.0.1", Port(other))).Code.Should().Be(0, "a port that is no instance's is not restricted");

        (await _firewall.CloseAsync(port, UidB)).Should().BeTrue(_log.Text);
        (await ConnectAsync(UidA, "127.0.0.1", port)).Code.Should().Be(0, "a closed port is no longer restricted");
    }

    [FirewallFact]
    public async Task Another_machine_reaches_a_port_on_every_address_until_it_is_opened_for_an_app()
    {
        using var listener = Listen(IPAddress.Any);
        var port = Port(listener);
        await using var outside = await OutsideMachine.CreateAsync();

        (await outside.ConnectAsync(port, TimeSpan.FromSeconds(2))).Should().Be(0, "nothing is filtered yet, so the test sees the network work");

        (await _firewall.OpenAsync(port, UidB)).Should().BeTrue(_log.Text);
        (await outside.ConnectAsync(port, TimeSpan.FromSeconds(2))).Should().Be(124, "the SYN is dropped: the client times out");
        (await ConnectAsync(0, "127.0.0.1", port)).Code.Should().Be(0, "loopback (the edge) still reaches it");
        (await ConnectAsync(UidB, outside.HostAddress, port)).Code.Should().Be(0, "from this machine the host's other addresses come in over lo");
        (await ConnectAsync(UidA, outside.HostAddress, port)).Error.Should().Contain("Connection refused", "and another app is refused on them too");
    }

    [FirewallFact]
    public async Task Reset_empties_the_table_and_every_call_is_idempotent()
    {
        (await _firewall.OpenAsync(41001, UidA)).Should().BeTrue(_log.Text);
        (await _firewall.OpenAsync(41001, UidA)).Should().BeTrue(_log.Text);
        (await ListAsync()).Should().MatchRegex(@"\b41001\b").And.Contain($"{UidA} . 41001");

        (await _firewall.ResetAsync()).Should().BeTrue(_log.Text);
        (await _firewall.ResetAsync()).Should().BeTrue(_log.Text);
        (await ListAsync()).Should().NotMatchRegex(@"\b41001\b");
        (await _firewall.CloseAsync(41001, UidA)).Should().BeTrue("closing what is not open is harmless: {0}", _log.Text);

        (await _firewall.RemoveAsync()).Should().BeTrue(_log.Text);
        (await _firewall.RemoveAsync()).Should().BeTrue(_log.Text);
        (await RunAsync(FirewallFactAttribute.Nft!, "list", "table", "inet", _firewall.Table)).Code.Should().NotBe(0, "the table is gone");
    }

    [FirewallFact]
    public async Task Concurrent_opens_all_land()
    {
        var ports = Enumerable.Range(42000, 30).ToList();
        var results = await Task.WhenAll(ports.Select(p => _firewall.OpenAsync(p, UidA + p % 2)));
        results.Should().OnlyContain(ok => ok, _log.Text);
        var listing = await ListAsync();
        ports.Should().OnlyContain(p => listing.Contains($"{UidA + p % 2} . {p}", StringComparison.Ordinal));
    }

    [FirewallFact]
    public async Task Nft_failing_is_logged_with_what_it_said_and_answered_with_false()
    {
        (await RunAsync(FirewallFactAttribute.Nft!, "delete", "table", "inet", _firewall.Table)).Code.Should().Be(0, "someone else deleted the table");

        (await _firewall.OpenAsync(41002, UidA)).Should().BeFalse("there is no table to add to");

        _log.Text.Should().Contain(_firewall.Table).And.Contain("open 41002 for uid 799999001").And.Contain("No such file or directory");
    }

    [FirewallFact]
    public async Task After_removal_at_shutdown_a_late_close_or_open_does_nothing_and_says_nothing()
    {
        (await _firewall.OpenAsync(41003, UidA)).Should().BeTrue(_log.Text);
        (await _firewall.RemoveAsync()).Should().BeTrue(_log.Text);

        // A retirement still draining when the platform stops closes its port after the table is gone.
        (await _firewall.CloseAsync(41003, UidA)).Should().BeFalse();
        (await _firewall.OpenAsync(41004, UidA)).Should().BeFalse();

        _log.Text.Should().BeEmpty("nothing failed: there was nothing left to do");
        (await RunAsync(FirewallFactAttribute.Nft!, "list", "table", "inet", _firewall.Table)).Code.Should().NotBe(0, "nothing made the table again");
        (await _firewall.ResetAsync()).Should().BeTrue("a reset brings the table back: {0}", _log.Text);
        (await _firewall.OpenAsync(41004, UidA)).Should().BeTrue(_log.Text);
    }

    [Fact]
    public async Task A_missing_nft_is_answered_with_false()
    {
        var log = new RecordingLogger<PortFirewall>();
        var firewall = new PortFirewall("test_missing", "/nonexistent/nft", log);

        (await firewall.ResetAsync()).Should().BeFalse();

        log.Text.Should().Contain("cannot run /nonexistent/nft");
    }

    private static TcpListener Listen(IPAddress address)
    {
        var listener = new TcpListener(address, 0);
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            listener.Server.DualMode = true;
        }
        listener.Start(); // the kernel completes handshakes into the backlog: nothing needs to accept
        return listener;
    }

    private static int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    private async Task<string> ListAsync()
    {
        var (code, output) = await RunAsync(FirewallFactAttribute.Nft!, "list", "table", "inet", _firewall.Table);
        code.Should().Be(0, output);
        return output;
    }

    /// <summary>Opens a TCP connection as <paramref name="uid"/> (exit 0), refused (1) or timed out (124).</summary>
    private static async Task<(int Code, string Error, TimeSpan Elapsed)> ConnectAsync(int uid, string address, int port)
    {
        var clock = Stopwatch.StartNew();
        var (code, output) = await RunAsync("setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--",
            "timeout", "2", "bash", "-c", $"exec 3<>/dev/tcp/{address}/{port}");
        return (code, output, clock.Elapsed);
    }

    internal static async Task<(int Code, string Output)> RunAsync(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var output = process.StandardOutput.ReadToEndAsync(cancel.Token);
        var error = process.StandardError.ReadToEndAsync(cancel.Token);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await output + await error);
    }

    /// <summary>Another machine: a network namespace joined to this one by a veth pair on a /30 of 10.213.0.0/16.</summary>
    private sealed class OutsideMachine : IAsyncDisposable
    {
        private readonly string _namespace;
        private readonly string _hostLink;

        private OutsideMachine(string id, string hostAddress)
        {
            _namespace = "slw-fw-" + id;
            _hostLink = "slwfw" + id + "h";
            HostAddress = hostAddress;
        }

        public string HostAddress { get; }

        public static async Task<OutsideMachine> CreateAsync()
        {
            var id = Guid.NewGuid().ToString("N")[..6];
            var net = Random.Shared.Next(0, 256 * 64) * 4; // one /30 in 10.213.0.0/16
            string Address(int host) => $"10.213.{(net + host) / 256}.{(net + host) % 256}";
            var machine = new OutsideMachine(id, Address(1));
            var inside = "slwfw" + id + "n";
            try
            {
                await MustAsync("ip", "netns", "add", machine._namespace);
                await MustAsync("ip", "link", "add", machine._hostLink, "type", "veth", "peer", "name", inside);
                await MustAsync("ip", "link", "set", inside, "netns", machine._namespace);
                await MustAsync("ip", "addr", "add", Address(1) + "/30", "dev", machine._hostLink);
                await MustAsync("ip", "link", "set", machine._hostLink, "up");
                await MustAsync("ip", "-n", machine._namespace, "addr", "add", Address(2) + "/30", "dev", inside);
                await MustAsync("ip", "-n", machine._namespace, "link", "set", inside, "up");
                return machine;
            }
            catch
            {
                await machine.DisposeAsync();
                throw;
            }
        }

        /// <summary>0 connected, 1 refused, 124 timed out.</summary>
        public async Task<int> ConnectAsync(int port, TimeSpan timeout) =>
            (await RunAsync("ip", "netns", "exec", _namespace, "timeout", timeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "bash", "-c", $"exec 3<>/dev/tcp/{HostAddress}/{port}")).Code;

        public async ValueTask DisposeAsync()
        {
            // Deleting the namespace deletes the veth end inside it, and with it its peer; the link delete covers a
            // pair made before the move failed.
            await RunAsync("ip", "link", "del", _hostLink);
            await RunAsync("ip", "netns", "del", _namespace);
        }

        private static async Task MustAsync(string program, params string[] arguments)
        {
            var (code, output) = await RunAsync(program, arguments);
            code.Should().Be(0, "{0} {1} failed: {2}", program, string.Join(' ', arguments), output);
        }
    }
}

/// <summary>A test that needs root and a working nft (and ip and setpriv), skipped with the reason otherwise. Here,
/// beside its only user, as xunit 2 has no skipping from inside a test.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FirewallFactAttribute : FactAttribute
{
    public static readonly string? Nft = HostSupport.Detect().Nft;

    public static readonly string? Reason = Detect();

    public FirewallFactAttribute()
    {
        if (Reason is not null)
        {
            Skip = Reason;
        }
    }

    private static string? Detect()
    {
        var host = HostSupport.Detect();
        if (!host.IsRoot)
        {
            return "needs root: the port firewall is nftables rules, and the tests connect as other users";
        }
        if (host.Nft is null)
        {
            return "needs nft: apt-get install nftables";
        }
        foreach (var tool in new[] { "ip", "setpriv", "timeout", "bash" })
        {
            if (!Environment.GetEnvironmentVariable("PATH")!.Split(':').Any(dir => File.Exists(Path.Combine(dir, tool))))
            {
                return $"needs {tool} on PATH (iproute2, util-linux, coreutils, bash)";
            }
        }
        var (code, output) = PortFirewallTests.RunAsync(host.Nft, "list", "tables").GetAwaiter().GetResult();
        return code == 0 ? null : $"nft cannot reach the kernel's nf_tables (nft list tables: {output.Trim()})";
    }
}
