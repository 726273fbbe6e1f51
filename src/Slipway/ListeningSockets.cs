using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Slipway;

/// <summary>The listening sockets of one platform process, by name ("edge-http", "edge-https", "api", "api-tcp",
/// "messages"): taken over when a supervisor or a predecessor hands them in, made here otherwise. A socket outlives the
/// process that listens on it as long as another holds it (the supervisor's descriptor store, a successor), and the
/// connections in its backlog wait meanwhile, so a restart or an upgrade refuses and resets none.
///
///   systemd (LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID) ─┐
///   the local launcher (SLIPWAY_LISTEN_FDS)  ─────────┼─► inherited ─► Tcp()/Unix() take them by name
///   a predecessor on upgrade (SCM_RIGHTS)  ───────────┘                 (or bind anew) ─► Kestrel gets a dup
///
/// Kestrel is handed a duplicate of each (<see cref="HandleFor"/>): its stop closes its own descriptor and never the
/// socket (checked: .NET does not shutdown() a listening socket it closes), so this process can still pass them on.</summary>
internal sealed class ListeningSockets
{
    public const string LauncherVariable = "SLIPWAY_LISTEN_FDS";
    private const int Backlog = 1024;

    private readonly Dictionary<string, Socket> _inherited;
    private readonly Dictionary<string, Socket> _inUse = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public ListeningSockets(IReadOnlyDictionary<string, Socket>? inherited = null) =>
        _inherited = new Dictionary<string, Socket>(inherited ?? new Dictionary<string, Socket>(), StringComparer.Ordinal);

    /// <summary>Called with each socket made here (not inherited): the supervisor's store should keep it.</summary>
    public Action<string, Socket>? Made { get; set; }

    /// <summary>Every socket this process listens on now, by name: what a successor is handed.</summary>
    public IReadOnlyDictionary<string, Socket> InUse
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, Socket>(_inUse, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>The sockets the environment hands in: systemd's (LISTEN_PID must be this process) or the launcher's.
    /// Both variables are removed, so no child process sees them.</summary>
    public static ListeningSockets FromEnvironment()
    {
        var inherited = new Dictionary<string, Socket>(StringComparer.Ordinal);
        if (Environment.GetEnvironmentVariable("LISTEN_PID") == Environment.ProcessId.ToString(CultureInfo.InvariantCulture) &&
            int.TryParse(Environment.GetEnvironmentVariable("LISTEN_FDS"), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            var names = (Environment.GetEnvironmentVariable("LISTEN_FDNAMES") ?? "").Split(':');
            for (var i = 0; i < count; i++)
            {
                var fd = 3 + i;
                FdPassing.SetInheritable(fd, false);
                inherited[i < names.Length && names[i].Length > 0 ? names[i] : $"fd{fd}"] = FdPassing.SocketOf(fd);
            }
        }
        foreach (var entry in (Environment.GetEnvironmentVariable(LauncherVariable) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, fd) = (entry[..entry.IndexOf('=')], int.Parse(entry[(entry.IndexOf('=') + 1)..], CultureInfo.InvariantCulture));
            FdPassing.SetInheritable(fd, false);
            inherited[name] = FdPassing.SocketOf(fd);
        }
        foreach (var variable in new[] { "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", LauncherVariable })
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
        return new ListeningSockets(inherited);
    }

    /// <summary>Adds sockets a predecessor handed over (they win over any of the same name).</summary>
    public void Adopt(IReadOnlyDictionary<string, Socket> sockets)
    {
        lock (_gate)
        {
            foreach (var (name, socket) in sockets)
            {
                _inherited[name] = socket;
            }
        }
    }

    /// <summary>The TCP socket <paramref name="name"/>: the inherited one when it listens on the same address and port (any
    /// port for 0), else a new one (the address in use is the caller's to explain).</summary>
    public Socket Tcp(string name, IPAddress address, int port)
    {
        lock (_gate)
        {
            if (_inherited.Remove(name, out var inherited))
            {
                if (inherited.LocalEndPoint is IPEndPoint local && local.Address.Equals(address) && (port == 0 || local.Port == port))
                {
                    return _inUse[name] = inherited;
                }
                inherited.Dispose(); // the flags changed (another port): this one is not ours to keep
            }
            return Listen(name, new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp), socket =>
            {
                // As Kestrel does: a restart binds again while the old connections are in TIME_WAIT.
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(new IPEndPoint(address, port));
            });
        }
    }

    /// <summary>The Unix socket <paramref name="name"/> at <paramref name="path"/> (mode 0600): the inherited one, or a new
    /// one (whatever was at the path goes: the data directory's lock says no other platform uses it).</summary>
    public Socket Unix(string name, string path)
    {
        lock (_gate)
        {
            if (_inherited.Remove(name, out var inherited))
            {
                if (inherited.LocalEndPoint is UnixDomainSocketEndPoint local && IsBoundFor(local.ToString(), path) && File.Exists(path))
                {
                    return _inUse[name] = inherited;
                }
                inherited.Dispose();
            }
            // Bound at a name of its own, then renamed into place: .NET deletes the file a Socket bound when that Socket
            // is disposed, which at a release (an upgrade, a restart) would unlink the path under the successor that
            // keeps listening on the same socket. What it deletes then is the bind-time name, long gone.
            var bound = $"{path}.{Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)}.new";
            File.Delete(bound);
            return Listen(name, new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified), socket =>
            {
                socket.Bind(new UnixDomainSocketEndPoint(bound));
                File.SetUnixFileMode(bound, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                File.Move(bound, path, overwrite: true);
            });
        }
    }

    /// <summary>A Unix socket reports the name it was bound at (<see cref="Unix"/>'s PATH.PID.new, renamed to PATH since).</summary>
    private static bool IsBoundFor(string bound, string path) =>
        bound == path || (bound.StartsWith(path + ".", StringComparison.Ordinal) && bound.EndsWith(".new", StringComparison.Ordinal));

    /// <summary>Binds (<paramref name="bind"/>) and listens on a socket made here, in use under <paramref name="name"/> and
    /// handed to the supervisor's store.</summary>
    private Socket Listen(string name, Socket socket, Action<Socket> bind)
    {
        try
        {
            bind(socket);
            socket.Listen(Backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _inUse[name] = socket;
        Made?.Invoke(name, socket);
        return socket;
    }

    /// <summary>A descriptor of <paramref name="socket"/> for Kestrel's ListenHandle, which closes it when it stops.
    /// Kestrel cancels its accept before it closes; a raw Socket disposed with an AcceptAsync pending would set
    /// SO_LINGER {1, 0} on the shared socket, and connections accepted from it later (by a successor) would inherit
    /// it and be reset at close: never dispose a socket of this class with an accept pending.</summary>
    public static ulong HandleFor(Socket socket) => (ulong)FdPassing.Duplicate((int)socket.Handle);

    /// <summary>This process stops listening on <paramref name="names"/>: its own descriptors close (Kestrel closed its
    /// duplicates), the sockets live on where a supervisor's store or a successor holds them.</summary>
    public void Release(params string[] names)
    {
        lock (_gate)
        {
            foreach (var name in names)
            {
                if (_inUse.Remove(name, out var socket))
                {
                    socket.Dispose();
                }
            }
        }
    }

    /// <summary>The sockets handed in that nothing took (a listener turned off since): closed.</summary>
    public void CloseUnused()
    {
        lock (_gate)
        {
            foreach (var socket in _inherited.Values)
            {
                socket.Dispose();
            }
            _inherited.Clear();
        }
    }
}
