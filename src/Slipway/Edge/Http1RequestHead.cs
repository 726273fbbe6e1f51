using System.Buffers;
using System.Text;

namespace Slipway.Edge;

/// <summary>How the body after a request head is framed, as Kestrel reads it.</summary>
internal enum BodyFraming : byte { None, ContentLength, Chunked, NotHttp }

/// <summary>What Http1RequestScanner keeps of the head it is reading: the request line, the values of the
/// Connection lines and the body framing. Lines arrive in pieces, without their CR LF. One pooled buffer holds
/// the request line, then each Connection value followed by ','; the other headers' bytes are never copied
/// past their names.</summary>
internal sealed class Http1RequestHead : IDisposable
{
    private const int LongestName = 17; // "transfer-encoding"

    private enum Header : byte { Pending, Connection, ContentLength, TransferEncoding }

    private byte[]? _buffer;
    private int _length;
    private int _requestLineLength, _methodLength;
    private int _lineStart;
    private Header _header;
    private bool _otherToken, _upgrade, _transferEncoding, _chunked;
    private long _contentLength = -1;

    /// <summary>A Connection token besides keep-alive, close and upgrade: Kestrel's header lost it.</summary>
    public bool HasOtherToken => _otherToken;

    public long ContentLength => _contentLength;

    /// <summary>After an upgrade (Kestrel decides one by the Connection token alone) or a CONNECT, the connection
    /// may not carry HTTP any more; a Transfer-Encoding not ending in chunked is rejected by Kestrel.</summary>
    public BodyFraming Framing =>
        _upgrade || Method.SequenceEqual("CONNECT"u8) || (_transferEncoding && !_chunked) ? BodyFraming.NotHttp :
        _transferEncoding ? BodyFraming.Chunked :
        _contentLength > 0 ? BodyFraming.ContentLength : BodyFraming.None;

    private ReadOnlySpan<byte> Method => _buffer.AsSpan(0, _methodLength);

    public void RequestLinePiece(ReadOnlySpan<byte> piece) => Append(piece);

    /// <summary>False unless the line is "method SP target SP HTTP/1.x"; the HTTP/2 preface "PRI * HTTP/2.0" is
    /// not (and HTTP/2 forbids Connection headers anyway).</summary>
    public bool EndRequestLine()
    {
        var line = _buffer.AsSpan(0, _length);
        var method = line.IndexOf((byte)' ');
        var version = line.LastIndexOf((byte)' ');
        if (method <= 0 || version <= method + 1 ||
            !(line[(version + 1)..] is var v && (v.SequenceEqual("HTTP/1.1"u8) || v.SequenceEqual("HTTP/1.0"u8))))
        {
            return false;
        }
        _methodLength = method;
        _requestLineLength = _length = _lineStart = version;
        return true;
    }

    /// <summary>False when the rest of this header line is of no interest (its name is not one the framing or the
    /// tokens depend on); the scanner then skips it without calling again.</summary>
    public bool HeaderPiece(ReadOnlySpan<byte> piece)
    {
        if (_header == Header.Pending)
        {
            var colon = piece.IndexOf((byte)':');
            var name = colon < 0 ? piece : piece[..colon];
            if (_length - _lineStart + name.Length > LongestName)
            {
                _length = _lineStart;
                return false;
            }
            Append(name);
            if (colon < 0)
            {
                return true;
            }
            var full = _buffer.AsSpan(_lineStart, _length - _lineStart);
            _length = _lineStart; // the name goes; a value of interest is kept from here
            _header = Ascii.EqualsIgnoreCase(full, "connection"u8) ? Header.Connection :
                Ascii.EqualsIgnoreCase(full, "content-length"u8) ? Header.ContentLength :
                Ascii.EqualsIgnoreCase(full, "transfer-encoding"u8) ? Header.TransferEncoding : Header.Pending;
            if (_header == Header.Pending)
            {
                return false;
            }
            piece = piece[(colon + 1)..];
        }
        Append(piece);
        return true;
    }

    /// <summary>False when the line has no colon or says something Kestrel answers 400 to.</summary>
    public bool EndHeaderLine()
    {
        var header = _header;
        var value = _buffer.AsSpan(_lineStart, _length - _lineStart);
        _header = Header.Pending;
        if (header == Header.Connection)
        {
            for (var list = (ReadOnlySpan<byte>)value; NextToken(ref list, out var token);)
            {
                _upgrade |= Ascii.EqualsIgnoreCase(token, "upgrade"u8);
                _otherToken |= !token.IsEmpty && !Ascii.EqualsIgnoreCase(token, "upgrade"u8) &&
                    !Ascii.EqualsIgnoreCase(token, "keep-alive"u8) && !Ascii.EqualsIgnoreCase(token, "close"u8);
            }
            Append(","u8); // the value stays, for Entry
            _lineStart = _length;
            return true;
        }
        _length = _lineStart;
        if (header == Header.ContentLength)
        {
            // A second Content-Length, a list or anything but digits: Kestrel answers 400.
            var digits = value.Trim(" \t"u8);
            if (_contentLength >= 0 || digits.IsEmpty || digits.Length > 18 || digits.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
            {
                return false;
            }
            _contentLength = long.Parse(digits, provider: null);
        }
        else if (header == Header.TransferEncoding)
        {
            _transferEncoding = true;
            for (var list = (ReadOnlySpan<byte>)value; NextToken(ref list, out var token);)
            {
                _chunked = token.IsEmpty ? _chunked : Ascii.EqualsIgnoreCase(token, "chunked"u8); // the final coding decides
            }
        }
        return header != Header.Pending;
    }

    /// <summary>The only allocation, for a head with another token: the request's method, target and every token.</summary>
    public (string Method, string Target, string[] Tokens) Entry()
    {
        var tokens = new List<string>();
        for (ReadOnlySpan<byte> list = _buffer.AsSpan(_requestLineLength, _length - _requestLineLength); NextToken(ref list, out var token);)
        {
            if (!token.IsEmpty)
            {
                tokens.Add(Encoding.Latin1.GetString(token));
            }
        }
        return (Encoding.Latin1.GetString(Method),
            Encoding.Latin1.GetString(_buffer.AsSpan(_methodLength + 1, _requestLineLength - _methodLength - 1)), [.. tokens]);
    }

    public void Reset()
    {
        _length = _requestLineLength = _methodLength = _lineStart = 0;
        _header = Header.Pending;
        _otherToken = _upgrade = _transferEncoding = _chunked = false;
        _contentLength = -1;
    }

    public void Dispose()
    {
        Reset();
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }

    private static bool NextToken(ref ReadOnlySpan<byte> list, out ReadOnlySpan<byte> token)
    {
        var comma = list.IndexOf((byte)',');
        token = (comma < 0 ? list : list[..comma]).Trim(" \t"u8);
        var more = !list.IsEmpty;
        list = comma < 0 ? default : list[(comma + 1)..];
        return more;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_buffer is null || _length + bytes.Length > _buffer.Length)
        {
            // The scanner's head limit bounds _length; doubling keeps the copies few.
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_length + bytes.Length, Math.Max(256, 2 * (_buffer?.Length ?? 0))));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            if (_buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }
            _buffer = larger;
        }
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }
}
