using System.Buffers;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace Slipway.Edge.Upstream;

/// <summary>Writes an HTTP/1.1 request head into a pooled buffer. Names and values come from Kestrel, which has
/// already refused CR, LF and NUL in them, or from the edge itself; text goes out as the bytes it came in as:
/// Kestrel decodes non-ASCII request header bytes as UTF-8 (and refuses what is not UTF-8), so UTF-8 encodes them back.</summary>
internal struct RequestHeadWriter : IHeaderSink
{
    private byte[] _buffer;
    private int _length;

    public RequestHeadWriter()
    {
        _buffer = ArrayPool<byte>.Shared.Rent(2048);
    }

    public readonly ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _length);

    public void RequestLine(string method, string target)
    {
        Text(method);
        Raw(" "u8);
        Text(target);
        Raw(" HTTP/1.1\r\n"u8);
    }

    public void Add(string name, string value)
    {
        Text(name);
        Raw(": "u8);
        Text(value);
        Raw("\r\n"u8);
    }

    /// <summary>One field line for all of a header's values, joined as HttpClient joins them (Cookie with "; ",
    /// RFC 9113 §8.2.3, as an HTTP/2 client sends each cookie as its own field; anything else with ", ").</summary>
    public void Add(string name, StringValues values)
    {
        if (values.Count == 1)
        {
            Add(name, values[0] ?? "");
            return;
        }
        var separator = name.Equals("Cookie", StringComparison.OrdinalIgnoreCase) ? "; "u8 : ", "u8;
        Text(name);
        Raw(": "u8);
        for (var i = 0; i < values.Count; i++)
        {
            if (i > 0)
            {
                Raw(separator);
            }
            Text(values[i] ?? "");
        }
        Raw("\r\n"u8);
    }

    public void End() => Raw("\r\n"u8);

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private void Raw(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    private void Text(string text)
    {
        if (System.Text.Ascii.IsValid(text))
        {
            Ensure(text.Length);
            _length += Encoding.ASCII.GetBytes(text, _buffer.AsSpan(_length));
        }
        else
        {
            Ensure(Encoding.UTF8.GetMaxByteCount(text.Length));
            _length += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
        }
    }

    private void Ensure(int more)
    {
        if (_length + more <= _buffer.Length)
        {
            return;
        }
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + more));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
