using System.Globalization;
using System.Net.Sockets;

namespace Slipway.Hosting;

/// <summary>The new platform's side of an upgrade (<see cref="Handover"/>): present when SLIPWAY_HANDOVER names the old
/// one's handover socket.</summary>
internal sealed class Successor : IDisposable
{
    private readonly Socket _socket;

    private Successor(Socket socket) => _socket = socket;

    public static Successor? FromEnvironment()
    {
        if (Environment.GetEnvironmentVariable(Handover.Variable) is not { Length: > 0 } path)
        {
            return null;
        }
        Environment.SetEnvironmentVariable(Handover.Variable, null);
        var socket = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new UserException($"Cannot reach the platform to take over from ({path}: {e.Message}).");
        }
        return new Successor(socket);
    }

    /// <summary>Refuses a data directory written by a newer Slipway (its schema is ahead of this one's) before anything
    /// is taken over; otherwise says HELLO and returns the sockets the old platform hands over (blocks until it does).</summary>
    public IReadOnlyDictionary<string, Socket> TakeOver(string dataDir)
    {
        var database = Path.Combine(dataDir, "slipway.db");
        var schema = File.Exists(database) ? State.Store.ReadSchemaVersion(database) : 0;
        if (schema > State.Schema.Migrations.Length)
        {
            var why = $"the data directory is at schema version {schema}, newer than this Slipway ({State.Schema.Migrations.Length}, {Handover.Version})";
            FdPassing.Send(_socket, "REFUSE=" + why, []);
            throw new UserException($"Not taking over: {why}.");
        }
        FdPassing.Send(_socket, $"HELLO=1\nVERSION={Handover.Version}\nPID={Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}\n" +
            $"DATA={Path.GetFullPath(dataDir)}", []);
        var (text, fds) = FdPassing.Receive(_socket);
        var fields = Handover.Fields(text);
        if (!fields.ContainsKey("TAKE"))
        {
            foreach (var fd in fds)
            {
                FdPassing.CloseQuietly(fd);
            }
            throw new UserException("The platform to take over from hung up before handing over its sockets.");
        }
        var names = (fields.GetValueOrDefault("NAMES") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries);
        return names.Zip(fds).ToDictionary(p => p.First, p => FdPassing.SocketOf(p.Second), StringComparer.Ordinal);
    }

    /// <summary>This platform serves: the old one may exit.</summary>
    public void Ready() => FdPassing.Send(_socket, "READY=1", []);

    public void Dispose() => _socket.Dispose();
}
