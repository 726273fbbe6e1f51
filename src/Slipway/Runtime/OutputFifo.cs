using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Slipway.Runtime;

/// <summary>One output stream (stdout or stderr) of a process that outlives the platform: a named pipe (FIFO) in the
/// platform's run directory, which the process opened read-write as its stdout or stderr before it ran anything.
///
///   app ──write──► FIFO (kernel buffer, 1 MB) ──read──► this platform process ──► lines ──► log store
///    └─ its own fd is read-write: the pipe always has a reader, so a write never fails with EPIPE while no
///       platform reads; the next platform opens the FIFO again by its path and reads what waited in the buffer.
///
/// The platform also holds a write end of its own (<see cref="ReleaseWriter"/>): a pipe reports end-of-file only once
/// no writer is left, so the reader never sees a false end before the process opened its side, nor after a platform
/// restart; the writer is let go once the process tree is gone, and the pump then ends after the last buffered line.
/// Reads go through .NET's pipe stream, which waits on epoll: no thread is held per stream.</summary>
internal sealed class OutputFifo : IDisposable
{
    /// <summary>A longer line is stored in pieces of this many bytes (an app printing megabytes without a newline must
    /// not make the platform hold them all).</summary>
    public const int MaxLineBytes = 64 * 1024;

    /// <summary>What waits in the pipe while no platform reads (a restart takes well under a second; the kernel caps a
    /// pipe at /proc/sys/fs/pipe-max-size, 1 MB by default, for anyone without CAP_SYS_RESOURCE).</summary>
    private const int PipeBytes = 1024 * 1024;

    private const int ORdOnly = 0, OWrOnly = 1, ONonBlock = 0x800, OCloExec = 0x80000;
    private const int FSetPipeSize = 1031, FGetPipeSize = 1032;

    private readonly AnonymousPipeClientStream _stream;
    private readonly CancellationTokenSource _detach = new();
    private int _writer;

    private OutputFifo(string path, int reader, int writer)
    {
        Path = path;
        _writer = writer;
#pragma warning disable CA2000 // the stream owns the handle and closes it when disposed
        _stream = new AnonymousPipeClientStream(PipeDirection.In, new SafePipeHandle(reader, ownsHandle: true));
#pragma warning restore CA2000
    }

    public string Path { get; }

    /// <summary>Ends after the last line once the writer is released and the process tree is gone, or when detached.</summary>
    public Task Pumped { get; private set; } = Task.CompletedTask;

    /// <summary>Makes the FIFO at <paramref name="path"/> (replacing whatever was there) and opens it.</summary>
    public static OutputFifo Create(string path)
    {
        File.Delete(path);
        Fifos.Make(path, "the output pipe");
        return Open(path) ?? throw new IOException($"the output pipe {path} vanished as it was made");
    }

    /// <summary>Opens an existing FIFO (a process started by an earlier platform process); null when there is none, or
    /// what is there is not a pipe.</summary>
    public static OutputFifo? Open(string path)
    {
        var reader = Fifos.Open(path, ORdOnly | ONonBlock | OCloExec);
        if (reader < 0)
        {
            return null;
        }
        // Only a pipe has a pipe size: a regular file of that name is not ours to read.
        if (Fcntl(reader, FGetPipeSize, 0) < 0)
        {
            _ = Fifos.Close(reader);
            return null;
        }
        // With a reader open, opening the write side never blocks.
        var writer = Fifos.Open(path, OWrOnly | ONonBlock | OCloExec);
        if (writer < 0)
        {
            _ = Fifos.Close(reader);
            return null;
        }
        _ = Fcntl(reader, FSetPipeSize, PipeBytes);
        return new OutputFifo(path, reader, writer);
    }

    /// <summary>Reads lines until end-of-file or <see cref="Detach"/>, each to <paramref name="onLine"/>.</summary>
    public void StartPump(OutputStream stream, Action<OutputLine> onLine, TimeProvider clock) =>
        Pumped = Task.Run(() => PumpAsync(stream, onLine, clock));

    private async Task PumpAsync(OutputStream stream, Action<OutputLine> onLine, TimeProvider clock)
    {
        var buffer = new byte[MaxLineBytes];
        var filled = 0;
        var token = _detach.Token;
        try
        {
            while (true)
            {
                var read = await _stream.ReadAsync(buffer.AsMemory(filled), token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                filled += read;
                var start = 0;
                for (var newline = Array.IndexOf(buffer, (byte)'\n', 0, filled); newline >= 0; newline = Array.IndexOf(buffer, (byte)'\n', start, filled - start))
                {
                    Emit(buffer.AsSpan(start, newline - start), stream, onLine, clock);
                    start = newline + 1;
                }
                if (start == 0 && filled == buffer.Length)
                {
                    // A line longer than the buffer: stored in pieces.
                    Emit(buffer, stream, onLine, clock);
                    filled = 0;
                }
                else if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
                    filled -= start;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Detached: the rest stays in the pipe for the next platform process.
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        if (filled > 0)
        {
            // A last line without a newline (or the part of one read before a detach).
            Emit(buffer.AsSpan(0, filled), stream, onLine, clock);
        }
    }

    private static void Emit(ReadOnlySpan<byte> line, OutputStream stream, Action<OutputLine> onLine, TimeProvider clock)
    {
        if (line.Length > 0 && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }
        onLine(new OutputLine(stream, Encoding.UTF8.GetString(line), clock.GetUtcNow()));
    }

    /// <summary>The process tree is gone: let the pipe report end-of-file after its last byte.</summary>
    public void ReleaseWriter()
    {
        if (Interlocked.Exchange(ref _writer, -1) is var fd and >= 0)
        {
            _ = Fifos.Close(fd);
        }
    }

    /// <summary>Stops reading (the platform is handing over or shutting down) and closes this side; the process keeps
    /// writing into the pipe, and the FIFO stays for the next platform process.</summary>
    public async Task DetachAsync()
    {
        await _detach.CancelAsync();
        await Pumped;
        Dispose();
    }

    /// <summary>Removes the FIFO once its process is gone for good.</summary>
    public void Delete()
    {
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public void Dispose()
    {
        ReleaseWriter();
        _stream.Dispose();
        _detach.Dispose();
    }

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int command, int argument);
}
