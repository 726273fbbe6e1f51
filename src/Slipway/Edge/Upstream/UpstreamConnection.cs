using System.Buffers;
using System.Net.Sockets;

namespace Slipway.Edge.Upstream;

/// <summary>One keep-alive HTTP/1.1 connection to an app instance, with the buffer its responses are read into:
/// bytes from <see cref="Start"/> to <see cref="End"/> are read but not yet consumed.</summary>
internal sealed class UpstreamConnection : IDisposable
{
    public const int BufferSize = 16 * 1024;

    /// <summary>A response head larger than this is refused (SocketsHttpHandler's default is 64 KB too).</summary>
    public const int MaxHeadSize = 64 * 1024;

    private bool _disposed;

    public UpstreamConnection(Socket socket)
    {
        Socket = socket;
        Buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        Created = Environment.TickCount64;
    }

    public Socket Socket { get; }
    public byte[] Buffer { get; private set; }
    public int Start { get; set; }
    public int End { get; private set; }
    public long Created { get; }
    public long IdleSince { get; set; }

    /// <summary>Requests this connection carried before the current one: a stale keep-alive connection (the app
    /// closed it while it sat in the pool) is only possible when this is above 0.</summary>
    public int Served { get; set; }

    /// <summary>The head parser, reused for every response on this connection.</summary>
    public ResponseHead Head { get; } = new();

    public int Buffered => End - Start;

    /// <summary>Some of the current response arrived: a failure now is not "closed before answering".</summary>
    public bool ReceivedAny { get; private set; }

    public ReadOnlySpan<byte> Unread => Buffer.AsSpan(Start, End - Start);

    /// <summary>Reads more of the response; 0 at the end of the stream.</summary>
    public async ValueTask<int> ReceiveAsync(CancellationToken token)
    {
        if (End == Buffer.Length)
        {
            if (Start == 0 && !Grow())
            {
                throw new InvalidOperationException("the receive buffer is full"); // callers bound heads before this
            }
            Compact();
        }
        var read = await Socket.ReceiveAsync(Buffer.AsMemory(End), SocketFlags.None, token);
        End += read;
        ReceivedAny |= read > 0;
        return read;
    }

    /// <summary>True when the buffer may still grow to hold a response head up to <see cref="MaxHeadSize"/>.</summary>
    public bool CanGrow => Buffer.Length < MaxHeadSize;

    /// <summary>Moves the unread bytes to the front of the buffer.</summary>
    public void Compact()
    {
        if (Start == 0)
        {
            return;
        }
        Buffer.AsSpan(Start, End - Start).CopyTo(Buffer);
        End -= Start;
        Start = 0;
    }

    private bool Grow()
    {
        if (!CanGrow)
        {
            return false;
        }
        var larger = ArrayPool<byte>.Shared.Rent(MaxHeadSize);
        Buffer.AsSpan(0, End).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(Buffer);
        Buffer = larger;
        return true;
    }

    /// <summary>Everything read so far was consumed: the next response starts at the front of the buffer.</summary>
    public void Reset()
    {
        Start = End = 0;
    }

    /// <summary>Ready for the next request on this connection: nothing received yet, and a buffer grown for one
    /// large head goes back, so an idle connection holds 16 KB.</summary>
    public void Recycle()
    {
        Reset();
        ReceivedAny = false;
        if (Buffer.Length > BufferSize)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Socket.Dispose();
        ArrayPool<byte>.Shared.Return(Buffer);
        Buffer = [];
    }
}
