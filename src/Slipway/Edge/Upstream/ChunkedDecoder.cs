namespace Slipway.Edge.Upstream;

internal enum ChunkStep
{
    /// <summary>All input consumed; more is needed.</summary>
    NeedMore,
    /// <summary>A slice of chunk data is ready.</summary>
    Data,
    /// <summary>The last chunk and its trailers were read: the body is complete.</summary>
    Done,
    /// <summary>The framing is malformed: the response is cut, and the connection is never reused.</summary>
    Invalid,
}

/// <summary>Decodes a chunked response body (RFC 9112 §7.1) incrementally, in place: the data comes back as
/// slices of the input, so nothing is copied. Strict, as the app is untrusted: hexadecimal sizes of at most 15
/// digits, CRLF line ends (a bare LF is refused), extensions and trailer lines bounded; trailers are dropped.</summary>
internal struct ChunkedDecoder
{
    private const int MaxLine = 4096;
    private const int MaxTrailers = 16 * 1024;

    private enum State { Size, Extension, SizeLf, Data, DataCr, DataLf, TrailerStart, TrailerLine, TrailerLf, FinalLf, Done }

    private State _state;
    private long _remaining;
    private int _digits;
    private int _line;
    private int _trailers;

    public readonly bool IsDone => _state == State.Done;

    public ChunkStep Next(ReadOnlySpan<byte> input, out int consumed, out int dataStart, out int dataLength)
    {
        dataStart = dataLength = 0;
        var i = 0;
        while (i < input.Length)
        {
            var b = input[i];
            switch (_state)
            {
                case State.Size:
                    if (HexValue(b) is var digit and >= 0)
                    {
                        if (++_digits > 15)
                        {
                            return Invalid(i, out consumed);
                        }
                        _remaining = (_remaining << 4) | (uint)digit;
                        i++;
                    }
                    else if (_digits > 0 && b is (byte)';' or (byte)' ' or (byte)'\t')
                    {
                        _state = State.Extension;
                        _line = 0;
                        i++;
                    }
                    else if (_digits > 0 && b == '\r')
                    {
                        _state = State.SizeLf;
                        i++;
                    }
                    else
                    {
                        return Invalid(i, out consumed);
                    }
                    break;
                case State.Extension:
                    if (b == '\r')
                    {
                        _state = State.SizeLf;
                    }
                    else if (b is (byte)'\n' or 0 || ++_line > MaxLine)
                    {
                        return Invalid(i, out consumed);
                    }
                    i++;
                    break;
                case State.SizeLf:
                    if (b != '\n')
                    {
                        return Invalid(i, out consumed);
                    }
                    i++;
                    _digits = 0;
                    _state = _remaining == 0 ? State.TrailerStart : State.Data;
                    break;
                case State.Data:
                    var take = (int)Math.Min(_remaining, input.Length - i);
                    _remaining -= take;
                    if (_remaining == 0)
                    {
                        _state = State.DataCr;
                    }
                    dataStart = i;
                    dataLength = take;
                    consumed = i + take;
                    return ChunkStep.Data;
                case State.DataCr:
                    if (b != '\r')
                    {
                        return Invalid(i, out consumed);
                    }
                    _state = State.DataLf;
                    i++;
                    break;
                case State.DataLf:
                    if (b != '\n')
                    {
                        return Invalid(i, out consumed);
                    }
                    _state = State.Size;
                    i++;
                    break;
                case State.TrailerStart:
                    if (b == '\r')
                    {
                        _state = State.FinalLf;
                    }
                    else if (b is (byte)'\n' or 0)
                    {
                        return Invalid(i, out consumed);
                    }
                    else
                    {
                        _state = State.TrailerLine;
                    }
                    i++;
                    break;
                case State.TrailerLine:
                    if (b == '\r')
                    {
                        _state = State.TrailerLf;
                    }
                    else if (b is (byte)'\n' or 0)
                    {
                        return Invalid(i, out consumed);
                    }
                    if (++_trailers > MaxTrailers)
                    {
                        return Invalid(i, out consumed);
                    }
                    i++;
                    break;
                case State.TrailerLf:
                    if (b != '\n')
                    {
                        return Invalid(i, out consumed);
                    }
                    _state = State.TrailerStart;
                    i++;
                    break;
                case State.FinalLf:
                    if (b != '\n')
                    {
                        return Invalid(i, out consumed);
                    }
                    _state = State.Done;
                    consumed = i + 1;
                    return ChunkStep.Done;
                default:
                    // Bytes after the end of the body: the app sent more than it framed.
                    return Invalid(i, out consumed);
            }
        }
        consumed = i;
        return ChunkStep.NeedMore;
    }

    private static ChunkStep Invalid(int at, out int consumed)
    {
        consumed = at;
        return ChunkStep.Invalid;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
