using System.Buffers;

namespace Slipway.Edge;

/// <summary>Follows the HTTP/1.1 request framing of one connection, fed each byte once and in order as Kestrel
/// reads it (in pieces split anywhere), and records in a ConnectionTokensFeature the Connection tokens of every
/// head that lists a name besides keep-alive, close and upgrade: exactly the heads whose tokens Kestrel loses.
/// It never throws and stops for good on anything it does not understand; stopping only means that later heads
/// go unanswered.</summary>
/// <remarks>
/// <code>
///   [CRLF]* request line, header lines, CRLF
///     ├─ Transfer-Encoding ending in chunked: (size[;ext] CRLF, data, CRLF)*, 0 CRLF, trailer lines, CRLF ─┐
///     ├─ Content-Length N: N bytes ────────────────────────────────────────────────────────────────────────┼─► next head
///     ├─ neither: no body ─────────────────────────────────────────────────────────────────────────────────┘
///     └─ Connection: upgrade, CONNECT, HTTP/2 preface, any other framing, a head over 64 KB: stop
/// </code>
/// Line endings are Kestrel's (measured against Kestrel 10): in a head or the trailers LF ends a line, with at
/// most a CR right before it; chunk-size lines and chunk data end in CRLF exactly. Where Kestrel rejects bytes it
/// ends the connection, so the scanner only has to agree with Kestrel on what Kestrel accepts.
/// </remarks>
internal sealed class Http1RequestScanner(ConnectionTokensFeature feature) : IDisposable
{
    /// <summary>Kestrel's own limits (EdgeServer: 32 KB of headers, 16 KB request line) reject a head sooner.</summary>
    public const int MaxHeadBytes = 64 * 1024;

    private enum State : byte
    {
        RequestLine, HeaderLine, SkipHeaderLine, TrailerLine, Body,
        ChunkSize, ChunkExtension, ChunkSizeLf, ChunkData, ChunkDataCr, ChunkDataLf, Stopped,
    }

    private readonly Http1RequestHead _head = new();
    private State _state;
    private int _lineBytes;  // of the current line, before its CR LF
    private bool _pendingCr; // the line's last piece ended in CR: the next byte must be LF
    private int _headBytes;  // of this head (or trailer section), against MaxHeadBytes
    private long _remaining; // body or chunk bytes left; while reading a chunk size, the size so far
    private int _chunkDigits;
    private long _heads;

    public bool Stopped => _state == State.Stopped;

    /// <summary>Scans the bytes that follow the ones scanned before.</summary>
    public void Scan(in ReadOnlySequence<byte> bytes)
    {
        if (_state == State.Stopped)
        {
            return;
        }
        if (feature.Abandoned)
        {
            Stop();
            return;
        }
        try
        {
            foreach (var memory in bytes)
            {
                var span = memory.Span;
                while (!span.IsEmpty && _state != State.Stopped)
                {
                    span = Step(span);
                }
            }
        }
#pragma warning disable CA1031 // Kestrel must never see a scanner bug: it only costs the connection's remaining tokens.
        catch (Exception)
#pragma warning restore CA1031
        {
            Stop();
        }
    }

    public void Dispose() => Stop();

    /// <summary>Consumes a prefix of <paramref name="span"/> and returns the rest.</summary>
    private ReadOnlySpan<byte> Step(ReadOnlySpan<byte> span)
    {
        switch (_state)
        {
            case State.RequestLine or State.HeaderLine or State.SkipHeaderLine or State.TrailerLine:
                return HeadLine(span);
            case State.Body or State.ChunkData:
                var skipped = (int)Math.Min(_remaining, span.Length);
                _remaining -= skipped;
                if (_remaining == 0 && _state == State.Body)
                {
                    NextHead();
                }
                else if (_remaining == 0)
                {
                    _state = State.ChunkDataCr;
                }
                return span[skipped..];
            case State.ChunkExtension:
                var end = span.IndexOfAny((byte)'\r', (byte)'\n');
                if (end < 0)
                {
                    return default;
                }
                Expect(span[end] == '\r', State.ChunkSizeLf); // Kestrel rejects a bare LF here
                return span[(end + 1)..];
            default:
                ChunkByte(span[0]);
                return span[1..];
        }
    }

    private void ChunkByte(byte b)
    {
        switch (_state)
        {
            case State.ChunkSize when HexValue(b) is var digit and >= 0:
                // 15 hex digits are 2^60 bytes: longer is no body a client really sends.
                Expect(++_chunkDigits <= 15, State.ChunkSize);
                _remaining = (_remaining << 4) | (uint)digit;
                break;
            case State.ChunkSize:
                // Kestrel takes ';' (an extension) or CR right after the digits and nothing else, not even a space.
                Expect(_chunkDigits > 0 && b is (byte)';' or (byte)'\r', b == ';' ? State.ChunkExtension : State.ChunkSizeLf);
                break;
            case State.ChunkSizeLf:
                Expect(b == '\n', _remaining == 0 ? State.TrailerLine : State.ChunkData);
                (_headBytes, _lineBytes) = (0, 0);
                break;
            case State.ChunkDataCr:
                Expect(b == '\r', State.ChunkDataLf);
                break;
            case State.ChunkDataLf:
                Expect(b == '\n', State.ChunkSize);
                _chunkDigits = 0;
                break;
        }
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    /// <summary>A piece of a line of a head or the trailers, up to and including its LF when the span has it.</summary>
    private ReadOnlySpan<byte> HeadLine(ReadOnlySpan<byte> span)
    {
        var lf = span.IndexOf((byte)'\n');
        var piece = lf < 0 ? span : span[..lf];
        _headBytes += lf < 0 ? piece.Length : piece.Length + 1;
        var cr = piece.IndexOf((byte)'\r');
        if (_headBytes > MaxHeadBytes || (_pendingCr && !piece.IsEmpty) || (cr >= 0 && cr != piece.Length - 1))
        {
            Stop();
            return default;
        }
        piece = cr >= 0 ? piece[..cr] : piece;
        _pendingCr = cr >= 0 && lf < 0;
        if (!piece.IsEmpty)
        {
            LineContent(piece);
        }
        if (lf >= 0 && _state != State.Stopped)
        {
            EndLine();
        }
        return lf < 0 ? default : span[(lf + 1)..];
    }

    private void LineContent(ReadOnlySpan<byte> piece)
    {
        var first = _lineBytes == 0;
        _lineBytes += piece.Length;
        switch (_state)
        {
            case State.RequestLine:
                _head.RequestLinePiece(piece);
                break;
            case State.HeaderLine when first && piece[0] is (byte)' ' or (byte)'\t':
                Stop(); // obs-fold: Kestrel answers 400
                break;
            case State.HeaderLine when !_head.HeaderPiece(piece):
                _state = State.SkipHeaderLine;
                break;
        }
    }

    private void EndLine()
    {
        var empty = _lineBytes == 0;
        _lineBytes = 0;
        switch (_state)
        {
            case State.RequestLine when !empty: // empty lines before a request line are allowed (RFC 9112 2.2)
                Expect(_head.EndRequestLine(), State.HeaderLine);
                break;
            case State.HeaderLine when empty:
                EndHead();
                break;
            case State.HeaderLine:
                Expect(_head.EndHeaderLine(), State.HeaderLine);
                break;
            case State.SkipHeaderLine:
                _state = State.HeaderLine;
                break;
            case State.TrailerLine when empty:
                NextHead();
                break;
        }
    }

    private void EndHead()
    {
        var sequence = _heads++;
        if (_head.HasOtherToken)
        {
            var (method, target, tokens) = _head.Entry();
            if (!feature.Record(sequence, method, target, tokens))
            {
                Stop();
                return;
            }
        }
        var (framing, length) = (_head.Framing, _head.ContentLength);
        NextHead();
        switch (framing)
        {
            case BodyFraming.NotHttp:
                Stop();
                break;
            case BodyFraming.Chunked:
                (_state, _remaining, _chunkDigits) = (State.ChunkSize, 0, 0);
                break;
            case BodyFraming.ContentLength:
                (_state, _remaining) = (State.Body, length);
                break;
        }
    }

    private void NextHead()
    {
        _head.Reset();
        (_state, _lineBytes, _headBytes) = (State.RequestLine, 0, 0);
    }

    private void Expect(bool ok, State next)
    {
        if (ok)
        {
            _state = next;
        }
        else
        {
            Stop();
        }
    }

    private void Stop()
    {
        _state = State.Stopped;
        _head.Dispose();
    }
}
