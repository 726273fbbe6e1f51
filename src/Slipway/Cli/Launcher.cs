using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Slipway.Runtime;

namespace Slipway.Cli;

/// <summary>The small resident supervisor `slipway up` leaves on a machine without systemd: it starts `slipway server`,
/// starts it again at once when it dies (a kill -9, a crash), and keeps its listening sockets meanwhile, so clients
/// wait in the sockets' backlogs instead of being refused. It speaks systemd's side of the notify protocol, so the
/// platform cannot tell it from systemd (see Hosting/ServiceManager):
///
///   launcher ──start (SLIPWAY_LISTEN_FDS, NOTIFY_SOCKET)──► slipway server
///      ▲                                                        │ FDSTORE=1 + FDNAME + SCM_RIGHTS: keep this socket
///      └──────────── DATA/run/notify.sock (datagrams) ◄─────────┤ READY=1, MAINPID: a successor after an upgrade
///                                                               │ STOPPING=1 + X_SLIPWAY_DOWN=1: `down`, do not restart
///
/// One thread: it polls the notify socket and the process it watches, so a message sent before an exit is always read
/// before the exit is acted on. Whatever the platform's apps are, this process never touches them.</summary>
internal sealed class Launcher(string dataDir, string program, IReadOnlyList<string> arguments, TextWriter log)
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20);
    private readonly Dictionary<string, int> _store = new(StringComparer.Ordinal);
    private readonly string _given = program;
    private readonly IReadOnlyList<string> _givenArguments = arguments;
    private string _program = program;
    private IReadOnlyList<string> _arguments = arguments;
    private int _main;
    private string? _mainStart;
    private bool _down;

    public static string NotifyPath(string dataDir) => Path.Combine(dataDir, "run", "notify.sock");

    public static string PidPath(string dataDir) => Path.Combine(dataDir, "run", "launcher.pid");

    public async Task<int> RunAsync(CancellationToken token)
    {
        Directory.CreateDirectory(Path.Combine(dataDir, "run"));
        using var exclusive = TryLock();
        if (exclusive is null)
        {
            await log.WriteLineAsync($"slipway launcher: another launcher already supervises the platform of {dataDir}.");
            return 1;
        }
        await File.WriteAllTextAsync(PidPath(dataDir), Environment.ProcessId.ToString(CultureInfo.InvariantCulture), CancellationToken.None);
        File.Delete(NotifyPath(dataDir));
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(NotifyPath(dataDir)));
        File.SetUnixFileMode(NotifyPath(dataDir), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var quickExits = 0;
        try
        {
            while (!token.IsCancellationRequested)
            {
                var started = Stopwatch.StartNew();
                Process? child;
                try
                {
                    child = Start();
                }
                catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
                {
                    // The successor's executable is gone (a pruned version, a removed copy): back to the program this
                    // launcher was given, which the kept sockets serve as well. The sockets stay held meanwhile.
                    await log.WriteLineAsync($"slipway launcher: could not start {_program}: {e.Message}" +
                        (_program != _given ? $"; starting {_given} instead" : "; trying again"));
                    (_program, _arguments) = (_given, _givenArguments);
                    quickExits++;
                    await Task.Delay(Pause(quickExits), token).ContinueWith(_ => { }, TaskScheduler.Default);
                    continue;
                }
                using var running = child;
                var code = await WatchAsync(child, notify, token);
                // Exit status 10 is `slipway down` under a supervisor even if its X_SLIPWAY_DOWN datagram was lost.
                _down |= code == SystemdUnit.DownExitStatus;
                if (_down)
                {
                    await log.WriteLineAsync("slipway launcher: the platform stopped with its apps (slipway down); the launcher ends too.");
                    return 0;
                }
                if (token.IsCancellationRequested)
                {
                    break;
                }
                quickExits = started.Elapsed < TimeSpan.FromSeconds(10) ? quickExits + 1 : 0;
                var pause = Pause(quickExits);
                await log.WriteLineAsync($"slipway launcher: the platform (pid {_main}) {Describe(code)}; starting it again" +
                    (pause > TimeSpan.Zero ? $" in {pause.TotalSeconds:0}s" : "") + " (its apps keep running).");
                await Task.Delay(pause, token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            return 0;
        }
        finally
        {
            foreach (var fd in _store.Values)
            {
                FdPassing.CloseQuietly(fd);
            }
            File.Delete(NotifyPath(dataDir));
            File.Delete(PidPath(dataDir));
        }
    }

    /// <summary>A platform that cannot start (a bad flag, a full disk) is not started a hundred times a second.</summary>
    private static TimeSpan Pause(int quickExits) =>
        quickExits <= 3 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, quickExits - 4)));

    private static string Describe(int? code) => code is { } known ? ExitCodes.Describe(known) : "ended";

    private FileStream? TryLock()
    {
        try
        {
            return new FileStream(Path.Combine(dataDir, "run", "launcher.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Starts the platform with every kept socket: inheritable only while the child is made (this process
    /// starts nothing else meanwhile), named in SLIPWAY_LISTEN_FDS.</summary>
    private Process Start()
    {
        var psi = new ProcessStartInfo(_program) { UseShellExecute = false };
        foreach (var argument in _arguments)
        {
            psi.ArgumentList.Add(argument);
        }
        psi.Environment[Hosting.ServiceManager.Variable] = NotifyPath(dataDir);
        psi.Environment[ListeningSockets.LauncherVariable] = string.Join(',', _store.Select(e => $"{e.Key}={e.Value.ToString(CultureInfo.InvariantCulture)}"));
        foreach (var fd in _store.Values)
        {
            FdPassing.SetInheritable(fd, true);
        }
        try
        {
            var process = Process.Start(psi) ?? throw new InvalidOperationException($"{_program} did not start");
            _main = process.Id;
            _mainStart = ProcessGroups.ReadStartIdentity(process.Id);
            return process;
        }
        finally
        {
            foreach (var fd in _store.Values)
            {
                FdPassing.SetInheritable(fd, false);
            }
        }
    }

    /// <summary>Until the watched platform process ends: reads notifications, follows a MAINPID to a successor, reaps its
    /// own child. Returns the exit code when it was this launcher's child (null: a successor it could only watch).</summary>
    private async Task<int?> WatchAsync(Process child, Socket notify, CancellationToken token)
    {
        var forwarded = false;
        while (true)
        {
            while (notify.Available > 0 || notify.Poll((int)Tick.TotalMicroseconds, SelectMode.SelectRead))
            {
                Handle(FdPassing.Receive(notify));
                if (notify.Available == 0)
                {
                    break;
                }
            }
            if (token.IsCancellationRequested && !forwarded)
            {
                // The launcher is asked to stop (SIGTERM): so is the platform; its apps run on, as after any stop.
                ProcessGroups.SignalProcess(_main, ProcessGroups.SigTerm);
                forwarded = true;
            }
            var mainIsChild = _main == child.Id;
            if (mainIsChild ? child.HasExited : !ProcessGroups.IsSameProcess(_main, _mainStart))
            {
                // Whatever it said last (X_SLIPWAY_DOWN) was sent before it exited: read it before deciding.
                while (notify.Available > 0)
                {
                    Handle(FdPassing.Receive(notify));
                }
                if (mainIsChild)
                {
                    await child.WaitForExitAsync(CancellationToken.None);
                    return ExitCodes.Of(child);
                }
                return null;
            }
        }
    }

    private void Handle((string Text, IReadOnlyList<int> Fds) message)
    {
        var fields = message.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        if (fields.ContainsKey("FDSTOREREMOVE") && fields.TryGetValue("FDNAME", out var gone) && _store.Remove(gone, out var removed))
        {
            FdPassing.CloseQuietly(removed);
        }
        if (fields.ContainsKey("FDSTORE") && fields.TryGetValue("FDNAME", out var name) && message.Fds.Count == 1)
        {
            if (_store.Remove(name, out var replaced))
            {
                FdPassing.CloseQuietly(replaced);
            }
            _store[name] = message.Fds[0];
        }
        else
        {
            foreach (var fd in message.Fds)
            {
                FdPassing.CloseQuietly(fd);
            }
        }
        if (fields.TryGetValue("MAINPID", out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != _main)
        {
            // A successor (slipway upgrade) took over: it is the one to watch, and the one to start again after a crash.
            _main = pid;
            _mainStart = ProcessGroups.ReadStartIdentity(pid);
            if (CommandOf(pid) is { Count: > 0 } line)
            {
                (_program, _arguments) = (line[0], line.Skip(1).ToList());
            }
        }
        if (fields.ContainsKey("X_SLIPWAY_DOWN"))
        {
            _down = true;
        }
    }

    private static IReadOnlyList<string>? CommandOf(int pid)
    {
        try
        {
            var parts = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
            // The program as the kernel ran it (a versioned binary's own path), not a name PATH resolved.
            var exe = new FileInfo($"/proc/{pid}/exe").LinkTarget;
            return parts.Length == 0 ? null : [exe is not null && Path.GetFileName(exe) != "dotnet" ? exe : parts[0], .. parts[1..]];
        }
        catch (IOException)
        {
            return null;
        }
    }
}
