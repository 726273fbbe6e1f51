using System.Buffers;

namespace Slipway.Edge.Tls;

/// <summary>Reads what the TLS library's callbacks do not show: whether a ClientHello offers the <c>acme-tls/1</c>
/// protocol (RFC 8737) in its ALPN extension. Bounded: only the first TLS record (at most 16 KB) is looked at, and
/// a ClientHello that does not fit in it, or anything that is not a well-formed one, is simply "not offered" (the
/// normal handshake then runs and fails or succeeds on its own).
/// <code>
///   record:     0x16 | version(2) | length(2) | ClientHello...
///   ClientHello 0x01 | length(3) | version(2) | random(32) | session id(1+n) | suites(2+n) | compression(1+n)
///               | extensions(2+n): type(2) length(2) data, ... ; ALPN = type 16: list(2+n) of name(1+n)
/// </code></summary>
internal static class ClientHello
{
    /// <summary>The largest TLS plaintext record (2^14): a longer one is not TLS.</summary>
    public const int MaxRecord = 16 * 1024;

    private const int HeaderLength = 5;
    private const byte Handshake = 0x16;
    private const byte ClientHelloType = 0x01;
    private const ushort AlpnExtension = 16;

    public enum Outcome
    {
        /// <summary>The first record has not fully arrived yet.</summary>
        NeedMore,
        /// <summary>Read (or found not to be a ClientHello): <c>offersAcmeTls</c> is the answer.</summary>
        Done,
    }

    public static Outcome Read(in ReadOnlySequence<byte> data, out bool offersAcmeTls)
    {
        offersAcmeTls = false;
        if (data.Length < HeaderLength)
        {
            return data.Length > 0 && data.FirstSpan[0] != Handshake ? Outcome.Done : Outcome.NeedMore;
        }
        Span<byte> header = stackalloc byte[HeaderLength];
        data.Slice(0, HeaderLength).CopyTo(header);
        var length = (header[3] << 8) | header[4];
        if (header[0] != Handshake || length is 0 or > MaxRecord)
        {
            return Outcome.Done;
        }
        if (data.Length < HeaderLength + length)
        {
            return Outcome.NeedMore;
        }
        var record = data.Slice(HeaderLength, length);
        if (record.IsSingleSegment)
        {
            offersAcmeTls = OffersAcmeTls(record.FirstSpan);
            return Outcome.Done;
        }
        var copy = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            record.CopyTo(copy);
            offersAcmeTls = OffersAcmeTls(copy.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
        return Outcome.Done;
    }

    /// <summary>Over one record's body; every length is checked against what is left, so no input throws.</summary>
    private static bool OffersAcmeTls(ReadOnlySpan<byte> body)
    {
        if (body.Length < 4 || body[0] != ClientHelloType)
        {
            return false;
        }
        var helloLength = (body[1] << 16) | (body[2] << 8) | body[3];
        var hello = body[4..];
        if (helloLength > hello.Length)
        {
            return false; // continued in a next record: not looked at (bounded to one record)
        }
        hello = hello[..helloLength];
        if (!Skip(ref hello, 2 + 32) || !SkipVector(ref hello, 1) || !SkipVector(ref hello, 2) || !SkipVector(ref hello, 1)
            || !TakeVector(ref hello, 2, out var extensions))
        {
            return false;
        }
        while (extensions.Length >= 4)
        {
            var type = (ushort)((extensions[0] << 8) | extensions[1]);
            extensions = extensions[2..];
            if (!TakeVector(ref extensions, 2, out var extension))
            {
                return false;
            }
            if (type != AlpnExtension)
            {
                continue;
            }
            if (!TakeVector(ref extension, 2, out var names))
            {
                return false;
            }
            while (TakeVector(ref names, 1, out var name))
            {
                if (name.SequenceEqual("acme-tls/1"u8))
                {
                    return true;
                }
            }
            return false;
        }
        return false;
    }

    private static bool Skip(ref ReadOnlySpan<byte> span, int count)
    {
        if (span.Length < count)
        {
            return false;
        }
        span = span[count..];
        return true;
    }

    private static bool SkipVector(ref ReadOnlySpan<byte> span, int lengthBytes) => TakeVector(ref span, lengthBytes, out _);

    /// <summary>A length-prefixed vector (1 or 2 length bytes), taken off the front of <paramref name="span"/>.</summary>
    private static bool TakeVector(ref ReadOnlySpan<byte> span, int lengthBytes, out ReadOnlySpan<byte> vector)
    {
        vector = default;
        if (span.Length < lengthBytes)
        {
            return false;
        }
        var length = lengthBytes == 1 ? span[0] : (span[0] << 8) | span[1];
        if (span.Length < lengthBytes + length)
        {
            return false;
        }
        vector = span.Slice(lengthBytes, length);
        span = span[(lengthBytes + length)..];
        return true;
    }
}
