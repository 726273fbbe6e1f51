using System.Globalization;
using System.Net.Sockets;

namespace Slipway.Hosting;

/// <summary>The platform's side of systemd's notify protocol (sd_notify: one datagram of KEY=VALUE lines to the socket in
/// NOTIFY_SOCKET), spoken to systemd in production and to the local launcher (<c>slipway launcher</c>, which implements the
/// same protocol) otherwise:
///   READY=1, MAINPID=PID     this process serves (a successor started by an upgrade becomes the one to watch)
///   FDSTORE=1, FDNAME=NAME   keep this listening socket (SCM_RIGHTS) and hand it to the next start
///   STOPPING=1               this process is going away; X_SLIPWAY_DOWN=1 too when `slipway down` stopped the apps
///                            (the launcher then exits instead of starting the platform again; systemd ignores the key)
/// Failures to notify are not fatal: without a supervisor, the platform runs as before.</summary>
internal sealed class ServiceManager(string socketPath)
{
    public const string Variable = "NOTIFY_SOCKET";

    public string SocketPath => socketPath;

    /// <summary>The supervisor named by NOTIFY_SOCKET, or null when none (a platform started by hand).</summary>
    public static ServiceManager? FromEnvironment() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } path ? new ServiceManager(path) : null;

    public bool Ready() => Notify($"READY=1\nMAINPID={Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}");

    public bool Stopping(bool down) => Notify(down ? "STOPPING=1\nX_SLIPWAY_DOWN=1" : "STOPPING=1");

    /// <summary>Hands <paramref name="socket"/> to the supervisor's descriptor store under <paramref name="name"/>.
    /// Whatever the store held under that name goes first (FDSTOREREMOVE): systemd keeps every descriptor it is sent,
    /// names repeated, up to FileDescriptorStoreMax.</summary>
    public bool Store(string name, Socket socket) =>
        Notify($"FDSTOREREMOVE=1\nFDNAME={name}") & Notify($"FDSTORE=1\nFDNAME={name}", [(int)socket.Handle]);

    public bool Notify(string state, IReadOnlyList<int>? fds = null)
    {
        try
        {
            // Non-blocking: a supervisor that stopped reading (its queue full) gets 5 s (FdPassing.Send), not the
            // platform's shutdown forever.
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
            // "@name" is an abstract socket (systemd's usual), spelled with a leading NUL on the wire.
            socket.Connect(new UnixDomainSocketEndPoint(socketPath.StartsWith('@') ? "\0" + socketPath[1..] : socketPath));
            FdPassing.Send(socket, state, fds ?? []);
            return true;
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return false;
        }
    }
}
