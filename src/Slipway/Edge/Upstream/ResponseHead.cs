using System.Buffers.Text;

namespace Slipway.Edge.Upstream;

/// <summary>How an app's response body is delimited (RFC 9112 §6.3).</summary>
internal enum BodyFraming
{
    /// <summary>No body: HEAD, 1xx, 204, 205, 304 (Kestrel writes none for those; a body an app sends anyway keeps
    /// its connection out of the pool).</summary>
    None,
    ContentLength,
    Chunked,
    /// <summary>Neither length nor chunked: the body runs until the app closes the connection.</summary>
    UntilClose,
}

/// <summary>One header line of a response head, as offsets into the buffer the head was parsed from.</summary>
internal readonly record struct HeaderField(int NameStart, int NameLength, int ValueStart, int ValueLength);

/// <summary>A parsed HTTP/1.x response head. Apps are untrusted, so the parser is strict where leniency lets a
/// response smuggle or split (RFC 9112 §11): no bare CR or LF, no NUL, no obs-fold continuation lines, field names
/// only of token characters, no space before the colon, one Content-Length value (repeats must agree), and never
/// Content-Length beside Transfer-Encoding; a Transfer-Encoding other than plain "chunked" is refused. A refused head
/// is a 502, never forwarded.</summary>
internal sealed class ResponseHead
{
    public const int MaxFields = 256;

    private readonly List<HeaderField> _fields = new(16);

    public int Status { get; private set; }
    public bool Http11 { get; private set; }
    public long ContentLength { get; private set; } = -1;
    public bool Chunked { get; private set; }
    /// <summary>The app asked to close (Connection: close, or HTTP/1.0 without keep-alive).</summary>
    public bool Close { get; private set; }
    /// <summary>Connection named a header other than close/keep-alive: those fields are hop-by-hop too (rare).</summary>
    public bool ConnectionListsFields { get; private set; }
    public IReadOnlyList<HeaderField> Fields => _fields;
    /// <summary>Bytes of the head, through its empty line.</summary>
    public int Length { get; private set; }
    /// <summary>Why the head was refused (for the log), when <see cref="TryParse"/> returned false.</summary>
    public string? Error { get; private set; }

    public BodyFraming Framing(bool headRequest) =>
        headRequest || Status is < 200 or 204 or 205 or 304 ? BodyFraming.None
        : Chunked ? BodyFraming.Chunked
        : ContentLength >= 0 ? BodyFraming.ContentLength
        : BodyFraming.UntilClose;

    /// <summary>Finds the end of a head in <paramref name="buffer"/>: the index just after its empty line, or -1.</summary>
    public static int FindEnd(ReadOnlySpan<byte> buffer)
    {
        var index = buffer.IndexOf("\r\n\r\n"u8);
        return index < 0 ? -1 : index + 4;
    }

    /// <summary>Parses <paramref name="head"/> (status line to the empty line, inclusive). Offsets in
    /// <see cref="Fields"/> are relative to <paramref name="head"/>.</summary>
    public bool TryParse(ReadOnlySpan<byte> head)
    {
        _fields.Clear();
        Status = 0;
        Http11 = false;
        ContentLength = -1;
        Chunked = false;
        Close = false;
        ConnectionListsFields = false;
        Error = null;
        Length = 0;

        var lineEnd = head.IndexOf("\r\n"u8);
        if (lineEnd < 0 || !ParseStatusLine(head[..lineEnd]))
        {
            return false;
        }
        var keepAlive = false;
        var hasTransferEncoding = false;
        var position = lineEnd + 2;
        while (true)
        {
            var rest = head[position..];
            lineEnd = rest.IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                return Fail("the head does not end with an empty line");
            }
            if (lineEnd == 0)
            {
                Length = position + 2;
                break;
            }
            var line = rest[..lineEnd];
            if (line.IndexOfAny((byte)'\r', (byte)'\n', (byte)0) >= 0)
            {
                return Fail("a header line holds a bare CR, LF or NUL");
            }
            if (line[0] is (byte)' ' or (byte)'\t')
            {
                return Fail("a header line is folded (obs-fold)");
            }
            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || !IsToken(line[..colon]))
            {
                return Fail("a header line has no valid field name");
            }
            var value = line[(colon + 1)..];
            var start = colon + 1;
            while (value.Length > 0 && value[0] is (byte)' ' or (byte)'\t')
            {
                value = value[1..];
                start++;
            }
            while (value.Length > 0 && value[^1] is (byte)' ' or (byte)'\t')
            {
                value = value[..^1];
            }
            if (_fields.Count == MaxFields)
            {
                return Fail($"more than {MaxFields} header lines");
            }
            var name = line[..colon];
            _fields.Add(new HeaderField(position, colon, position + start, value.Length));
            if (System.Text.Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out long length, out var used) || used != value.Length || length < 0 ||
                    value.Length == 0 || value[0] is < (byte)'0' or > (byte)'9')
                {
                    return Fail("Content-Length is not a number");
                }
                if (ContentLength >= 0 && ContentLength != length)
                {
                    return Fail("two different Content-Length values");
                }
                ContentLength = length;
            }
            else if (System.Text.Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                if (hasTransferEncoding || !System.Text.Ascii.EqualsIgnoreCase(value, "chunked"u8))
                {
                    return Fail("a Transfer-Encoding other than one plain \"chunked\"");
                }
                hasTransferEncoding = true;
                Chunked = true;
            }
            else if (System.Text.Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                foreach (var range in value.Split((byte)','))
                {
                    var token = value[range].Trim(" \t"u8);
                    if (System.Text.Ascii.EqualsIgnoreCase(token, "close"u8))
                    {
                        Close = true;
                    }
                    else if (System.Text.Ascii.EqualsIgnoreCase(token, "keep-alive"u8))
                    {
                        keepAlive = true;
                    }
                    else if (token.Length > 0)
                    {
                        ConnectionListsFields = true;
                    }
                }
            }
            position += lineEnd + 2;
        }
        if (Chunked && ContentLength >= 0)
        {
            return Fail("both Content-Length and Transfer-Encoding");
        }
        if (!Http11 && !keepAlive)
        {
            Close = true;
        }
        return true;
    }

    /// <summary>"HTTP/1.1 200 OK": the version, three digits, and an optional reason (which is not forwarded:
    /// Kestrel writes its own, as HTTP/2 has none).</summary>
    private bool ParseStatusLine(ReadOnlySpan<byte> line)
    {
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || line[7] is not ((byte)'0' or (byte)'1') || line[8] != (byte)' ' ||
            !char.IsAsciiDigit((char)line[9]) || !char.IsAsciiDigit((char)line[10]) || !char.IsAsciiDigit((char)line[11]) ||
            (line.Length > 12 && line[12] != (byte)' ') || line.IndexOfAny((byte)'\r', (byte)'\n', (byte)0) >= 0)
        {
            return Fail("the status line is not \"HTTP/1.x NNN reason\"");
        }
        Http11 = line[7] == (byte)'1';
        Status = ((line[9] - '0') * 100) + ((line[10] - '0') * 10) + (line[11] - '0');
        return Status >= 100 || Fail("the status code is below 100");
    }

    private bool Fail(string error)
    {
        Error = error;
        return false;
    }

    /// <summary>RFC 9110 §5.6.2 tchar.</summary>
    private static bool IsToken(ReadOnlySpan<byte> name) => name.IndexOfAnyExcept(TokenChars) < 0;

    private static readonly System.Buffers.SearchValues<byte> TokenChars = System.Buffers.SearchValues.Create(
        "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);
}
