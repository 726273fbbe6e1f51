using System.Diagnostics;
using Slipway.Runtime;
using System.Net.Sockets;

namespace Slipway.Hosting;

/// <summary>The old platform's side of an upgrade (<see cref="Handover"/>).</summary>
internal sealed class PlatformUpgrade(PlatformOptions options) : IDisposable
{
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(60);
    private Socket? _successor;
    private Process? _successorProcess;
    private int _started;

    /// <summary>True once the sockets were handed over: this process is stopping for its successor.</summary>
    public bool HandedOver => _successor is not null;

    /// <summary>Starts <paramref name="binary"/> beside this platform and hands it the sockets. Throws a
    /// <see cref="UserException"/> (nothing changed, this platform keeps serving) when the binary does not run, the new
    /// platform exits or refuses the data directory, or does not answer within a minute.</summary>
    public async Task<(int Pid, string Version)> HandOverAsync(string binary, CancellationToken token)
    {
        if (options.ServerArguments is not { } arguments)
        {
            throw new UserException("This platform was not started by `slipway server` (a test or an embedded host): it cannot be upgraded in place.");
        }
        if (Interlocked.Exchange(ref _started, 1) == 1)
        {
            throw new UserException("An upgrade of this platform is already under way.");
        }
        var path = Path.GetFullPath(binary);
        Process? process = null;
        try
        {
            var version = await VersionOfAsync(path, token);
            var socketPath = Handover.SocketPath(options.DataDir);
            Directory.CreateDirectory(Path.GetDirectoryName(socketPath)!);
            File.Delete(socketPath);
            using var listener = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(1);
            var psi = new ProcessStartInfo(path) { UseShellExecute = false };
            foreach (var argument in arguments)
            {
                psi.ArgumentList.Add(argument);
            }
            psi.Environment[Handover.Variable] = socketPath;
            // One deadline for the connection and its HELLO: a successor that hangs holds this platform a minute at most.
            var deadline = Stopwatch.StartNew();
            process = Process.Start(psi) ?? throw new UserException($"{path} did not start; the running platform keeps serving.");
            var accepting = listener.AcceptAsync(token).AsTask();
            var finished = await Task.WhenAny(accepting, process.WaitForExitAsync(token), Task.Delay(HelloTimeout, token));
            if (finished != accepting)
            {
                var why = process.HasExited ? $"exited with code {process.ExitCode}" : "did not answer within a minute";
                Kill(process);
                throw new UserException($"The new platform ({path}, {version}) {why} before it took over (its output is in the platform's log); " +
                    "the running platform keeps serving.");
            }
            var successor = await accepting;
            var left = HelloTimeout - deadline.Elapsed;
            left = left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1);
            // Also for a blocking receive (SO_RCVTIMEO): a successor that connects and says nothing cannot hold this up.
            successor.ReceiveTimeout = (int)left.TotalMilliseconds;
            string hello;
            try
            {
                (hello, _) = await Task.Run(() => FdPassing.Receive(successor, left), token);
            }
            catch (TimeoutException)
            {
                successor.Dispose();
                Kill(process);
                throw new UserException($"The new platform ({path}, {version}) connected but said nothing within a minute; the running platform keeps serving.");
            }
            var fields = Handover.Fields(hello);
            if (!fields.ContainsKey("HELLO"))
            {
                successor.Dispose();
                Kill(process);
                throw new UserException($"The new platform ({path}, {version}) refused to take over: " +
                    (fields.GetValueOrDefault("REFUSE") ?? $"it said \"{hello.Trim()}\"") + "; the running platform keeps serving.");
            }
            if (fields.GetValueOrDefault("DATA") is not { } data || !SameDirectory(data, options.DataDir))
            {
                successor.Dispose();
                Kill(process);
                throw new UserException($"The new platform ({path}, {version}) would serve {fields.GetValueOrDefault("DATA") ?? "another data directory"}, " +
                    $"not {options.DataDir}: nothing was handed over; the running platform keeps serving.");
            }
            var sockets = options.Sockets.InUse;
            FdPassing.Send(successor, "TAKE=1\nNAMES=" + string.Join(',', sockets.Keys), sockets.Values.Select(s => (int)s.Handle).ToList());
            _successor = successor;
            _successorProcess = process;
            return (process.Id, version);
        }
        finally
        {
            if (_successor is null)
            {
                process?.Dispose();
                Interlocked.Exchange(ref _started, 0);
            }
        }
    }

    /// <summary>After this platform stopped: waits until the successor serves (it said READY), at most
    /// <paramref name="timeout"/>. False: it died or hung after taking the sockets.</summary>
    public async Task<bool> WaitForSuccessorAsync(TimeSpan timeout)
    {
        if (_successor is not { } successor)
        {
            return true;
        }
        try
        {
            var (text, _) = await Task.Run(() => FdPassing.Receive(successor, timeout));
            if (Handover.Fields(text).ContainsKey("READY"))
            {
                return true;
            }
        }
        catch (Exception e) when (e is TimeoutException or IOException)
        {
        }
        // Dead, or hung holding the data directory and the sockets: it goes, so the old version, started again by the
        // supervisor, can take them back (the instances run on and are adopted). Through its Process, which knows when
        // it was reaped: a pid of a successor long gone may name another process by now.
        Kill(_successorProcess!);
        return false;
    }

    private static bool SameDirectory(string a, string b) =>
        RealPaths.Resolve(a) is { } real && string.Equals(real, RealPaths.Resolve(b), StringComparison.Ordinal);

    private static async Task<string> VersionOfAsync(string path, CancellationToken token)
    {
        if (!File.Exists(path))
        {
            throw new UserException($"{path} does not exist. Give the path of the new slipway executable (./slipway --print-binary prints the newest build).");
        }
        var psi = new ProcessStartInfo(path, "--version") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        try
        {
            using var process = Process.Start(psi)!;
            var output = process.StandardOutput.ReadToEndAsync(token);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
            var version = (await output).Trim();
            if (process.ExitCode != 0 || version.Length == 0)
            {
                throw new UserException($"{path} --version failed (exit code {process.ExitCode}): it is not a working slipway executable; the running platform keeps serving.");
            }
            return version;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new UserException($"{path} cannot be run ({e.Message}): it is not a slipway executable for this machine; the running platform keeps serving.");
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            throw new UserException($"{path} --version did not answer within 30 s; the running platform keeps serving.");
        }
    }

    private static void Kill(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill();
        }
    }

    public void Dispose()
    {
        _successor?.Dispose();
        _successorProcess?.Dispose();
    }
}
